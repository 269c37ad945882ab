import { Inject, Injectable } from '@nestjs/common';
import { writeEvalInput } from '../clsa/eval/preprocess.js';
import { AppError } from '../common/app-error.js';
import type { Logger } from '../common/logger.js';
import { LOGGER } from '../common/logger.module.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig, EmbeddingSettings } from '../config/config.js';
import { EncodersService } from '../encoders/encoders.service.js';
import { DatasetImages } from '../datasets/dataset-images.js';
import { EmbeddingEngine, type ModelFacts, type ServedEncoder } from './embedding-engine.js';
import { EmbeddingMetrics } from './embedding-metrics.js';
import {
  decodeError,
  type EmbedInput,
  type EmbedItem,
  type EmbedResult,
  fetchError,
  isFailed,
  itemError,
  l2Normalized,
} from './embedding-items.js';
import { PipelineFullError } from './engine/admission.js';

export interface EmbedOptions {
  readonly normalize: boolean;
  readonly transport: 'rest' | 'grpc' | 'grpc-stream';
  /** The caller went away: stop what has not started. */
  readonly signal?: AbortSignal | undefined;
}

interface ItemContext {
  readonly teamId: string;
  readonly encoder: ServedEncoder;
  readonly facts: ModelFacts;
  readonly normalize: boolean;
  readonly signal: AbortSignal;
}

/**
 * Online embeddings, for both faces: checks the request, takes its places in the pipeline (or
 * refuses it with a retry hint), then prepares each image with the evaluation transform and hands
 * it to the encoder's batcher. One bad image fails alone; the rest are embedded.
 */
@Injectable()
export class EmbeddingsService {
  private readonly settings: EmbeddingSettings;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly encoders: EncodersService,
    private readonly engine: EmbeddingEngine,
    private readonly images: DatasetImages,
    private readonly metrics: EmbeddingMetrics,
  ) {
    this.settings = config.embeddings;
  }

  async embed(teamId: string, encoderId: string, inputs: EmbedInput[], options: EmbedOptions): Promise<EmbedResult> {
    this.checkCount(inputs.length);
    return this.embedFor(teamId, await this.encoder(teamId, encoderId), inputs, options);
  }

  /** The team's encoder as the engine serves it; NOT_FOUND for another team's or an unknown id. */
  async encoder(teamId: string, encoderId: string): Promise<ServedEncoder & { embeddingDim: number }> {
    const row = await this.encoders.get(teamId, encoderId);
    return { id: row.id, objectKey: row.objectKey, embeddingDim: row.embeddingDim };
  }

  /** embed() for an encoder already looked up (a stream looks each one up once). */
  async embedFor(
    teamId: string,
    encoder: ServedEncoder & { embeddingDim: number },
    inputs: EmbedInput[],
    options: EmbedOptions,
  ): Promise<EmbedResult> {
    const started = performance.now();
    this.checkCount(inputs.length);
    const release = this.admit(inputs.length);
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    const work = this.run(teamId, encoder, inputs, options.normalize, signal);
    void work.finally(release).catch(() => undefined);
    try {
      const items = await raceAbort(work, signal, this.settings.timeoutMs);
      const failed = items.filter(isFailed).length;
      this.metrics.images(items.length - failed, failed);
      return { encoderId: encoder.id, dim: encoder.embeddingDim, normalized: options.normalize, items };
    } finally {
      this.metrics.request(options.transport, (performance.now() - started) / 1000);
    }
  }

  /** Requests whose images would not fit in the pipeline are refused whole, before any work. */
  private admit(count: number): () => void {
    try {
      return this.engine.admit(count);
    } catch (error) {
      if (!(error instanceof PipelineFullError)) throw error;
      this.metrics.rejected();
      throw AppError.retryLater(error.message, error.retryAfterSeconds);
    }
  }

  private checkCount(count: number): void {
    if (count === 0) throw new AppError('VALIDATION_FAILED', 'inputs must hold at least one image', 'inputs');
    if (count > this.settings.maxItems) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `inputs holds ${count} images; the limit is ${this.settings.maxItems} per request (EMBED_MAX_ITEMS)`,
        'inputs',
      );
    }
  }

  private async run(
    teamId: string,
    encoder: ServedEncoder,
    inputs: EmbedInput[],
    normalize: boolean,
    signal: AbortSignal,
  ) {
    const facts = await this.engine.prepare(encoder);
    const context: ItemContext = { teamId, encoder, facts, normalize, signal };
    return Promise.all(inputs.map((input, index) => this.embedOne(context, input, index)));
  }

  private async embedOne(context: ItemContext, input: EmbedInput, index: number): Promise<EmbedItem> {
    const bytes = await this.fetch(context.teamId, input).catch((error: unknown) => error as AppError);
    if (bytes instanceof AppError) return itemError(index, bytes);
    const pixels = new Float32Array(context.facts.inputLength);
    try {
      await writeEvalInput(bytes, context.facts.transform, pixels);
    } catch (error) {
      return itemError(index, decodeError(error, index, this.settings.maxImagePixels));
    }
    const vector = await this.engine.embed(context.encoder, pixels, context.signal);
    return { index, vector: context.normalize ? l2Normalized(vector) : vector };
  }

  private async fetch(teamId: string, input: EmbedInput): Promise<Buffer> {
    if ('bytes' in input) return input.bytes;
    try {
      return await this.images.read(teamId, input.dataset);
    } catch (error) {
      const known = fetchError(error);
      if (known !== null) throw known;
      this.logger.error({ err: error, dataset: input.dataset }, 'reading a dataset sample failed');
      throw new AppError('UNAVAILABLE', 'The dataset sample could not be read; try again', 'key');
    }
  }
}

/** The work's result, or TIMEOUT once the signal aborts (the work itself finishes in the background). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
      reject(
        timedOut
          ? new AppError('TIMEOUT', `The request did not finish within ${timeoutMs} ms (EMBED_TIMEOUT_MS)`)
          : new AppError('UNAVAILABLE', 'The request was cancelled'),
      );
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
