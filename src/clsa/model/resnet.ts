/**
 * ResNet-18 and ResNet-50 backbones (torchvision's, V1.5: a bottleneck's stride sits on its 3×3
 * conv) as pure functions over a ParameterSet, on NHWC float32 images. Parameter names follow
 * torchvision's state dict ("layer2.0.downsample.1.running_var") so a reader can line them up.
 *
 * The classifier (fc) is left out: the backbone ends at global average pooling, and the CLSA
 * projector or a linear probe goes on top. Options:
 *  - `smallImageStem`: 3×3 stride-1 first conv and no max-pool (CIFAR-sized images), instead of
 *    torchvision's 7×7 stride-2 conv + 3×3 stride-2 max-pool;
 *  - `baseWidth`: channels of the stem and first stage (64 in the paper); stages use 1, 2, 4 and
 *    8 times it, so small widths make fast test and CI networks.
 */
import * as tf from '../tf.js';

import { batchNorm } from './batch-norm.js';
import { declare, type ParameterDecl } from './init.js';
import type { BufferUpdates, ParameterSet } from './parameters.js';

export type ResNetArchitecture = 'resnet18' | 'resnet50';

export interface ResNetSpec {
  readonly architecture: ResNetArchitecture;
  readonly smallImageStem: boolean;
  readonly baseWidth: number;
}

export interface ForwardOptions {
  /** Batch statistics and running-stat updates (true) or running statistics (false). */
  readonly training: boolean;
  /** Sub-batches with their own BatchNorm statistics (Shuffle BN emulation, see batch-norm.ts). */
  readonly bnGroups?: number;
}

export interface ResNetOutput {
  /** [batch, resnetFeatureWidth(spec)] after global average pooling. */
  readonly features: tf.Tensor2D;
  /**
   * New BatchNorm running statistics by buffer name (empty in eval mode). They are tf.keep()-ed
   * so they survive a gradient tape's tidy; the caller owns them and usually hands them to
   * `ParameterSet.applyBufferUpdates`, which disposes them.
   */
  readonly bnUpdates: BufferUpdates;
}

const ARCHITECTURES = {
  resnet18: { bottleneck: false, depths: [2, 2, 2, 2], expansion: 1 },
  resnet50: { bottleneck: true, depths: [3, 4, 6, 3], expansion: 4 },
} as const;

interface BlockPlan {
  /** "layer3.0" */
  readonly prefix: string;
  readonly inChannels: number;
  readonly planes: number;
  readonly stride: number;
  readonly downsample: boolean;
}

export function checkResNetSpec(spec: ResNetSpec): void {
  if (!Object.hasOwn(ARCHITECTURES, spec.architecture)) {
    throw new RangeError(
      `architecture must be one of ${Object.keys(ARCHITECTURES).join(', ')}, got ${spec.architecture}`,
    );
  }
  if (!Number.isInteger(spec.baseWidth) || spec.baseWidth < 1) {
    throw new RangeError(`baseWidth must be a positive integer, got ${spec.baseWidth}`);
  }
  if (typeof spec.smallImageStem !== 'boolean') throw new RangeError('smallImageStem must be a boolean');
}

/** Width of the pooled feature: 8·baseWidth, times 4 for ResNet-50's bottlenecks. */
export function resnetFeatureWidth(spec: ResNetSpec): number {
  return 8 * spec.baseWidth * ARCHITECTURES[spec.architecture].expansion;
}

function resnetBlocks(spec: ResNetSpec): BlockPlan[] {
  const { depths, expansion } = ARCHITECTURES[spec.architecture];
  const blocks: BlockPlan[] = [];
  let inChannels = spec.baseWidth;
  depths.forEach((depth, stage) => {
    const planes = spec.baseWidth * 2 ** stage;
    for (let i = 0; i < depth; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const downsample = stride !== 1 || inChannels !== planes * expansion;
      blocks.push({ prefix: `layer${stage + 1}.${i}`, inChannels, planes, stride, downsample });
      inChannels = planes * expansion;
    }
  });
  return blocks;
}

function blockLayout(block: BlockPlan, bottleneck: boolean, expansion: number): ParameterDecl[] {
  const { prefix: p, inChannels, planes } = block;
  const out = planes * expansion;
  const body = bottleneck
    ? [
        declare.conv(`${p}.conv1.weight`, 1, inChannels, planes),
        ...declare.batchNorm(`${p}.bn1`, planes),
        declare.conv(`${p}.conv2.weight`, 3, planes, planes),
        ...declare.batchNorm(`${p}.bn2`, planes),
        declare.conv(`${p}.conv3.weight`, 1, planes, out),
        ...declare.batchNorm(`${p}.bn3`, out),
      ]
    : [
        declare.conv(`${p}.conv1.weight`, 3, inChannels, planes),
        ...declare.batchNorm(`${p}.bn1`, planes),
        declare.conv(`${p}.conv2.weight`, 3, planes, planes),
        ...declare.batchNorm(`${p}.bn2`, planes),
      ];
  if (!block.downsample) return body;
  return [
    ...body,
    declare.conv(`${p}.downsample.0.weight`, 1, inChannels, out),
    ...declare.batchNorm(`${p}.downsample.1`, out),
  ];
}

/** Every weight and buffer of the backbone, in torchvision's order. */
export function resnetLayout(spec: ResNetSpec): ParameterDecl[] {
  checkResNetSpec(spec);
  const { bottleneck, expansion } = ARCHITECTURES[spec.architecture];
  return [
    declare.conv('conv1.weight', spec.smallImageStem ? 3 : 7, 3, spec.baseWidth),
    ...declare.batchNorm('bn1', spec.baseWidth),
    ...resnetBlocks(spec).flatMap((b) => blockLayout(b, bottleneck, expansion)),
  ];
}

/**
 * torch's Conv2d(bias=False, padding=(k−1)/2): explicit symmetric padding. TF's 'same' would pad
 * a stride-2 conv on even sizes only at the end, shifting every sampled window by one pixel.
 */
export function torchConv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, stride: number): tf.Tensor4D {
  return tf.conv2d(x, kernel, stride, (kernel.shape[0] - 1) / 2);
}

/**
 * torch's MaxPool2d(3, stride 2, padding 1). It follows a ReLU, so every value is ≥ 0 and the
 * pool's implicit padding cannot win over torch's −∞ padding.
 */
export function torchMaxPool(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 3, 2, 1);
}

/** Runs layers against one ParameterSet, collecting BatchNorm updates. */
class ForwardPass {
  readonly bnUpdates: BufferUpdates = new Map();

  constructor(
    private readonly params: ParameterSet,
    private readonly options: ForwardOptions,
  ) {}

  conv(name: string, x: tf.Tensor4D, stride: number): tf.Tensor4D {
    return torchConv2d(x, this.params.get(name) as tf.Tensor4D, stride);
  }

  bn(prefix: string, x: tf.Tensor4D): tf.Tensor4D {
    const p = (suffix: string) => this.params.get(`${prefix}.${suffix}`) as tf.Tensor1D;
    const state = { gamma: p('weight'), beta: p('bias'), runningMean: p('running_mean'), runningVar: p('running_var') };
    const { y, update } = batchNorm(x, state, { training: this.options.training, groups: this.options.bnGroups });
    if (update !== undefined) {
      this.bnUpdates.set(`${prefix}.running_mean`, tf.keep(update.runningMean));
      this.bnUpdates.set(`${prefix}.running_var`, tf.keep(update.runningVar));
    }
    return y;
  }

  block(b: BlockPlan, bottleneck: boolean, x: tf.Tensor4D): tf.Tensor4D {
    const p = b.prefix;
    let y = tf.relu(this.bn(`${p}.bn1`, this.conv(`${p}.conv1.weight`, x, bottleneck ? 1 : b.stride)));
    if (bottleneck) {
      y = tf.relu(this.bn(`${p}.bn2`, this.conv(`${p}.conv2.weight`, y, b.stride)));
      y = this.bn(`${p}.bn3`, this.conv(`${p}.conv3.weight`, y, 1));
    } else {
      y = this.bn(`${p}.bn2`, this.conv(`${p}.conv2.weight`, y, 1));
    }
    const shortcut = b.downsample
      ? this.bn(`${p}.downsample.1`, this.conv(`${p}.downsample.0.weight`, x, b.stride))
      : x;
    return tf.relu(tf.add<tf.Tensor4D>(y, shortcut));
  }
}

/** images [batch, height, width, 3] (normalised) → pooled features and BatchNorm updates. */
export function resnetForward(
  model: { readonly spec: ResNetSpec; readonly params: ParameterSet },
  images: tf.Tensor4D,
  options: ForwardOptions,
): ResNetOutput {
  const { spec, params } = model;
  if (images.rank !== 4 || images.shape[3] !== 3) {
    throw new RangeError(`images must be [batch, height, width, 3], got [${images.shape.join(', ')}]`);
  }
  const pass = new ForwardPass(params, options);
  try {
    const features = tf.tidy(() => {
      let x = tf.relu(pass.bn('bn1', pass.conv('conv1.weight', images, spec.smallImageStem ? 1 : 2)));
      if (!spec.smallImageStem) x = torchMaxPool(x);
      const { bottleneck } = ARCHITECTURES[spec.architecture];
      for (const b of resnetBlocks(spec)) x = pass.block(b, bottleneck, x);
      return tf.mean<tf.Tensor2D>(x, [1, 2]);
    });
    return { features, bnUpdates: pass.bnUpdates };
  } catch (error) {
    // the updates are kept, so the tidy above cannot free those of a pass that failed midway
    tf.dispose([...pass.bnUpdates.values()]);
    throw error;
  }
}
