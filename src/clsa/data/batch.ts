/**
 * One training batch: every view of every sample, normalised into one NHWC float32 buffer per
 * view slot ([N, size, size, 3], ready for tfjs). The same `prepareBatch` runs in worker threads
 * and in the calling thread, so the worker count cannot change a single bit of the output.
 */
import { type StrongPolicyOptions } from '../augment/strong-policy.js';
import { normalizationTable, writeNormalizedHwc } from './normalize-hwc.js';
import { planViews, type PlannedView, type ViewRecipe } from './view-recipe.js';
import { augmentView, type CroppedView, cropViews } from './views.js';

/** A sample as it travels to whoever prepares the batch. */
export interface BatchSample {
  readonly index: number;
  readonly key: string;
  readonly shard: string;
  readonly image: Uint8Array;
  readonly label: number | null;
}

export interface BatchJob {
  readonly epoch: number;
  readonly step: number;
  readonly samples: readonly BatchSample[];
}

/** What stays the same for every batch of a run (sent to each worker once). */
export interface BatchSettings {
  readonly seed: number;
  readonly recipe: ViewRecipe;
  readonly maxPixels?: number;
}

export interface ViewBatch {
  /** [N, height, width, 3] */
  readonly shape: readonly [number, number, number, 3];
  readonly data: Float32Array;
}

export interface Batch {
  readonly epoch: number;
  readonly step: number;
  /** Dataset indices of the samples, in batch order. */
  readonly indices: readonly number[];
  readonly keys: readonly string[];
  readonly labels: readonly (number | null)[];
  readonly views: {
    readonly key: ViewBatch;
    readonly weak: readonly ViewBatch[];
    readonly strong: readonly ViewBatch[];
  };
}

/** A sample that could not be turned into views; names it so the dataset can be fixed. */
export class SampleError extends Error {
  constructor(
    readonly sampleKey: string,
    readonly shard: string,
    readonly index: number,
    readonly reason: string,
  ) {
    super(`sample ${sampleKey} (dataset index ${index}, ${shard}): ${reason}`);
    this.name = 'SampleError';
  }
}

function emptyViews(views: readonly PlannedView[], n: number): Batch['views'] {
  const make = (v: PlannedView): ViewBatch => ({
    shape: [n, v.spec.size, v.spec.size, 3],
    data: new Float32Array(n * v.spec.size * v.spec.size * 3),
  });
  return {
    key: make(views[0] as PlannedView),
    weak: views.filter((v) => v.kind === 'weak').map(make),
    strong: views.filter((v) => v.kind === 'strong').map(make),
  };
}

function target(batch: Batch['views'], view: PlannedView): ViewBatch {
  const found =
    view.kind === 'key' ? batch.key : view.kind === 'weak' ? batch.weak[view.slot] : batch.strong[view.slot];
  if (found === undefined) throw new Error(`no buffer for ${view.kind} view ${view.slot}`);
  return found;
}

function sampleFailure(sample: BatchSample, err: unknown): SampleError {
  return new SampleError(sample.key, sample.shard, sample.index, err instanceof Error ? err.message : String(err));
}

/** Starts decoding a sample and cutting its views (./views.ts cropViews); failures are named after the sample. */
function startCrops(sample: BatchSample, views: readonly PlannedView[], epoch: number, settings: BatchSettings) {
  const key = { seed: settings.seed, epoch, sampleIndex: sample.index };
  const image = Buffer.from(sample.image.buffer, sample.image.byteOffset, sample.image.byteLength);
  const cropped = cropViews(image, views, key, settings.maxPixels).catch((err: unknown) => {
    throw sampleFailure(sample, err);
  });
  cropped.catch(() => undefined); // awaited in turn below; this only keeps an early failure from going unobserved
  return cropped;
}

/** Runs the pixel half of a sample's views and writes each, normalised, into the sample's slot. */
function writeSample(
  slot: number,
  cropped: readonly CroppedView[],
  out: Batch['views'],
  table: Float32Array,
  policy?: StrongPolicyOptions,
) {
  for (const c of cropped) {
    const pixels = augmentView(c, policy).image;
    writeNormalizedHwc(pixels, target(out, c.view).data, slot * c.view.spec.size * c.view.spec.size * 3, table);
  }
}

export async function prepareBatch(job: BatchJob, settings: BatchSettings): Promise<Batch> {
  const views = planViews(settings.recipe);
  const table = normalizationTable(settings.recipe.mean, settings.recipe.std);
  const out = emptyViews(views, job.samples.length);
  const { samples, epoch } = job;
  let next: Promise<CroppedView[]> | null = samples[0] ? startCrops(samples[0], views, epoch, settings) : null;
  for (const [i, sample] of samples.entries()) {
    const cropped = await (next as Promise<CroppedView[]>);
    // Start the next sample: a decode on sharp's threads overlaps this one's pixel ops.
    const following = samples[i + 1];
    next = following ? startCrops(following, views, epoch, settings) : null;
    try {
      writeSample(i, cropped, out, table, settings.recipe.strongPolicy);
    } catch (err) {
      throw sampleFailure(sample, err);
    }
  }
  return {
    epoch,
    step: job.step,
    indices: samples.map((s) => s.index),
    keys: samples.map((s) => s.key),
    labels: samples.map((s) => s.label),
    views: out,
  };
}

/** The buffers to move (not copy) when a batch crosses threads. */
export function batchTransferList(batch: Batch): ArrayBuffer[] {
  const all = [batch.views.key, ...batch.views.weak, ...batch.views.strong];
  return all.map((v) => v.data.buffer as ArrayBuffer);
}
