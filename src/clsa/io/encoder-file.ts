/**
 * The exported encoder: the frozen backbone f_θ only (the projector is a training device and is
 * dropped, as in the paper), in one safetensors file the embeddings service loads.
 *
 * Format "clsa-encoder" version 1:
 * - tensors: the backbone's weights and BatchNorm buffers under torchvision's state-dict names
 *   ("layer1.0.conv1.weight", "bn1.running_var", …); conv kernels are laid out [kh, kw, in, out]
 *   (tfjs HWIO; torch's OIHW is a transpose (3, 2, 0, 1) away), float32;
 * - metadata (all strings): format, version, architecture (the ResNet spec as JSON), inputSize
 *   (square side in pixels), mean and std (JSON [r, g, b] applied to RGB in [0, 1]), layout
 *   ("NHWC"), embeddingDim (width of the pooled feature), plus free-form provenance fields.
 * Inference: resize so the shorter side is inputSize, centre-crop inputSize², normalise, run the
 * backbone in eval mode (BatchNorm with running statistics), take the pooled feature.
 */
import {
  backboneSnapshot,
  type Encoder,
  ParameterSet,
  checkResNetSpec,
  resnetFeatureWidth,
  resnetLayout,
  type ResNetSpec,
} from '../model/index.js';
import {
  decodeSafetensors,
  type NamedTensor,
  readSafetensorsFile,
  type SafetensorsContent,
  writeSafetensorsFile,
} from './safetensors.js';

export const ENCODER_FORMAT = 'clsa-encoder';
export const ENCODER_VERSION = '1';

export interface EncoderFileInfo {
  readonly architecture: ResNetSpec;
  readonly inputSize: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly embeddingDim: number;
  /** Free-form provenance (run id, steps, dataset…), kept as strings. */
  readonly provenance: Record<string, string>;
}

export interface LoadedEncoder {
  readonly info: EncoderFileInfo;
  /** Backbone-only parameters, non-trainable; use with `resnetForward(…, { training: false })`. */
  readonly backbone: { readonly spec: ResNetSpec; readonly params: ParameterSet };
}

const RESERVED = new Set(['format', 'version', 'architecture', 'inputSize', 'mean', 'std', 'layout', 'embeddingDim']);

export async function writeEncoderFile(
  file: string,
  encoder: Encoder,
  options: Omit<EncoderFileInfo, 'architecture' | 'embeddingDim'>,
): Promise<EncoderFileInfo> {
  const { architecture, smallImageStem, baseWidth } = encoder.spec;
  const info: EncoderFileInfo = {
    ...options,
    architecture: { architecture, smallImageStem, baseWidth },
    embeddingDim: resnetFeatureWidth(encoder.spec),
  };
  const clash = Object.keys(options.provenance).find((k) => RESERVED.has(k));
  if (clash !== undefined) throw new RangeError(`provenance field "${clash}" is reserved by the encoder format`);
  await writeSafetensorsFile(file, backboneSnapshot(encoder), {
    ...options.provenance,
    format: ENCODER_FORMAT,
    version: ENCODER_VERSION,
    architecture: JSON.stringify(info.architecture),
    inputSize: String(info.inputSize),
    mean: JSON.stringify(info.mean),
    std: JSON.stringify(info.std),
    layout: 'NHWC',
    embeddingDim: String(info.embeddingDim),
  });
  return info;
}

function triple(text: string | undefined, what: string, file: string): [number, number, number] {
  const value = JSON.parse(text ?? 'null') as unknown;
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new Error(`${file}: ${what} must be three numbers`);
  }
  return value as [number, number, number];
}

/** The tensors laid out as the architecture declares them; any missing, extra or misshapen one is an error. */
function backboneParameters(spec: ResNetSpec, tensors: Map<string, NamedTensor>, file: string): ParameterSet {
  const layout = resnetLayout(spec);
  const problems: string[] = [];
  for (const decl of layout) {
    const found = tensors.get(decl.name);
    if (found === undefined) problems.push(`${decl.name} is missing`);
    else if (found.shape.join(',') !== decl.shape.join(',')) {
      problems.push(`${decl.name} is [${found.shape.join(', ')}], expected [${decl.shape.join(', ')}]`);
    }
  }
  const declared = new Set(layout.map((d) => d.name));
  for (const name of tensors.keys()) if (!declared.has(name)) problems.push(`${name} is not part of the backbone`);
  if (problems.length > 0)
    throw new Error(`${file} does not hold a ${spec.architecture} backbone: ${problems.slice(0, 5).join('; ')}`);
  const params = new ParameterSet(false);
  for (const decl of layout) params.add(decl.kind, decl.name, tensors.get(decl.name)!);
  return params;
}

export async function readEncoderFile(file: string): Promise<LoadedEncoder> {
  return loadEncoder(await readSafetensorsFile(file), file);
}

/** The same as readEncoderFile, from the file's bytes (as the object store hands them out); `source` names it in errors. */
export function readEncoderBuffer(bytes: Buffer, source = 'encoder data'): LoadedEncoder {
  return loadEncoder(decodeSafetensors(bytes, source), source);
}

function loadEncoder({ tensors, metadata }: SafetensorsContent, file: string): LoadedEncoder {
  if (metadata.format !== ENCODER_FORMAT) {
    throw new Error(`${file} is not a CLSA encoder (format "${metadata.format ?? 'none'}")`);
  }
  if (metadata.version !== ENCODER_VERSION) {
    throw new Error(`${file} is encoder version ${metadata.version}; this engine reads version ${ENCODER_VERSION}`);
  }
  const saved = (JSON.parse(metadata.architecture ?? 'null') ?? {}) as Partial<ResNetSpec>;
  const architecture = {
    architecture: saved.architecture,
    smallImageStem: saved.smallImageStem,
    baseWidth: saved.baseWidth,
  } as ResNetSpec;
  checkResNetSpec(architecture);
  const inputSize = Number(metadata.inputSize);
  if (!Number.isInteger(inputSize) || inputSize < 1) throw new Error(`${file}: inputSize must be a positive integer`);
  const provenance = Object.fromEntries(Object.entries(metadata).filter(([k]) => !RESERVED.has(k)));
  const info: EncoderFileInfo = {
    architecture,
    inputSize,
    mean: triple(metadata.mean, 'mean', file),
    std: triple(metadata.std, 'std', file),
    embeddingDim: resnetFeatureWidth(architecture),
    provenance,
  };
  // Last: the parameters become tensors, which nothing would dispose if a check above failed.
  return { info, backbone: { spec: architecture, params: backboneParameters(architecture, tensors, file) } };
}
