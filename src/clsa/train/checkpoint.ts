/**
 * A training checkpoint: one safetensors file holding everything a run needs to continue exactly
 * where it stopped: query encoder (`query.*`, weights and BatchNorm buffers), key encoder (`key.*`),
 * SGD momentum buffers (`sgd.*`), the key queue (`queue.keys`), and in its metadata the run's
 * configuration, position (epoch, step within it, global step), queue pointer and last metrics.
 * No random-generator state is stored because none lives across steps: data order, views and
 * the key shuffle are all drawn from streams keyed by (seed, epoch, sample, view) or (seed, step).
 */
import { readSafetensorsFile, type NamedTensor, writeSafetensorsFile } from '../io/safetensors.js';
import type { ParameterSnapshot } from '../model/index.js';
import type { KeyQueueSnapshot } from '../model/index.js';
import type { SgdState } from './sgd.js';
import { parseTrainConfig, runIdentity, type TrainConfig } from './train-config.js';

export const CHECKPOINT_FORMAT = 'clsa-checkpoint';
export const CHECKPOINT_VERSION = '1';

export interface RunPosition {
  /** The epoch the next step belongs to. */
  readonly epoch: number;
  /** Steps of that epoch already done. */
  readonly stepInEpoch: number;
  /** Steps done since the start of the run. */
  readonly globalStep: number;
}

export interface CheckpointState {
  readonly config: TrainConfig;
  readonly position: RunPosition;
  readonly query: ParameterSnapshot;
  readonly key: ParameterSnapshot;
  readonly sgd: SgdState;
  readonly queue: KeyQueueSnapshot;
}

function prefixed(prefix: string, from: ReadonlyMap<string, NamedTensor>, into: Map<string, NamedTensor>): void {
  for (const [name, tensor] of from) into.set(`${prefix}${name}`, tensor);
}

function unprefixed(prefix: string, from: ReadonlyMap<string, NamedTensor>): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [name, tensor] of from) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), tensor);
  return out;
}

export async function saveCheckpoint(file: string, state: CheckpointState): Promise<void> {
  const tensors = new Map<string, NamedTensor>();
  prefixed('query.', state.query, tensors);
  prefixed('key.', state.key, tensors);
  prefixed('sgd.', state.sgd.buffers, tensors);
  tensors.set('queue.keys', { shape: [state.queue.size, state.queue.dim], data: state.queue.keys });
  await writeSafetensorsFile(file, tensors, {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: JSON.stringify(state.config),
    position: JSON.stringify(state.position),
    queuePointer: String(state.queue.pointer),
  });
}

function checkPosition(raw: unknown, file: string): RunPosition {
  const p = raw as Partial<RunPosition> | null;
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (p === null || !ok(p.epoch) || !ok(p.stepInEpoch) || !ok(p.globalStep)) {
    throw new Error(`${file}: the checkpoint's position is not {epoch, stepInEpoch, globalStep} of integers ≥ 0`);
  }
  return p as RunPosition;
}

/** Reads a checkpoint, refusing files of another format or version with a message that says so. */
export async function loadCheckpoint(file: string): Promise<CheckpointState> {
  const { tensors, metadata } = await readSafetensorsFile(file);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${file} is not a CLSA checkpoint (format "${metadata.format ?? 'none'}")`);
  }
  if (metadata.version !== CHECKPOINT_VERSION) {
    throw new Error(
      `${file} is checkpoint version ${metadata.version}; this engine reads version ${CHECKPOINT_VERSION}`,
    );
  }
  const config = parseTrainConfig(JSON.parse(metadata.config ?? 'null'));
  const position = checkPosition(JSON.parse(metadata.position ?? 'null'), file);
  const queueKeys = tensors.get('queue.keys');
  if (queueKeys === undefined || queueKeys.shape.length !== 2)
    throw new Error(`${file} has no [K, D] queue.keys tensor`);
  const pointer = Number(metadata.queuePointer);
  return {
    config,
    position,
    query: unprefixed('query.', tensors),
    key: unprefixed('key.', tensors),
    sgd: { buffers: unprefixed('sgd.', tensors) as SgdState['buffers'] },
    queue: { size: queueKeys.shape[0]!, dim: queueKeys.shape[1]!, pointer, keys: queueKeys.data },
  };
}

/** A resumed run must be the same run: same configuration, field for field. */
export function assertResumable(saved: TrainConfig, requested: TrainConfig, file: string): void {
  if (runIdentity(saved) === runIdentity(requested)) return;
  const differing = Object.keys({ ...saved, ...requested }).filter(
    (k) =>
      JSON.stringify((saved as Record<string, unknown>)[k]) !==
      JSON.stringify((requested as Record<string, unknown>)[k]),
  );
  throw new Error(
    `${file} was written by a run with different settings (${differing.join(', ')}); resume it unchanged`,
  );
}
