import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { buffer } from 'node:stream/consumers';
import { ForwardThread, type RemoteEncoder } from '../clsa/eval/forward-thread.js';
import type { EvalTransform } from '../clsa/eval/preprocess.js';
import type { Logger } from '../common/logger.js';
import { LOGGER } from '../common/logger.module.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import type { ObjectStore } from '../storage/object-store.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import { Admission } from './engine/admission.js';
import { MicroBatcher } from './engine/micro-batcher.js';
import { ModelCache } from './engine/model-cache.js';
import { EmbeddingMetrics } from './embedding-metrics.js';

/** What the engine needs to know of an encoder row. */
export interface ServedEncoder {
  readonly id: string;
  readonly objectKey: string;
}

/** The serving facts of a loaded encoder: how to prepare its inputs and what comes out. */
export interface ModelFacts {
  readonly inputSize: number;
  readonly inputLength: number;
  readonly embeddingDim: number;
  readonly transform: EvalTransform;
}

/**
 * The serving engine behind both faces: a memory-bounded LRU cache of loaded encoders, one dynamic
 * micro-batcher per encoder, and admission control over all of them. Forward passes run on one
 * worker thread (src/clsa/eval/forward-worker.ts), which holds the tensors and picks the tensor
 * backend when it starts: on the first embedding request, not at start-up, so a server that
 * serves no embeddings never loads tfjs, and its main thread never does. Measured (README,
 * bench/embeddings.bench.ts): with the forward pass on the main thread, HTTP parsing and decoding
 * stopped while it ran, so the next batch could only hold what got through in the moment between
 * two passes; on its own thread the next batch fills while the current one runs.
 */
@Injectable()
export class EmbeddingEngine implements OnModuleDestroy {
  readonly admission: Admission;
  private readonly cache: ModelCache<RemoteEncoder>;
  private readonly batchers = new Map<string, MicroBatcher<Float32Array, Float32Array>>();
  private readonly facts = new Map<string, ModelFacts>();
  private thread: Promise<ForwardThread> | undefined;
  private closing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: EmbeddingMetrics,
  ) {
    this.admission = new Admission(config.embeddings.queueLimit);
    this.cache = new ModelCache<RemoteEncoder>(
      config.embeddings.cacheBytes,
      metrics.cacheEvents((id) => this.forget(id)),
    );
  }

  /** Takes places for `count` images or throws PipelineFullError; returns their release. */
  admit(count: number): () => void {
    const release = this.admission.admit(count);
    this.metrics.queueDepth(this.admission.depth);
    return () => {
      release();
      this.metrics.queueDepth(this.admission.depth);
    };
  }

  /** Loads the encoder if needed (once, however many requests ask at the same time). */
  async prepare(encoder: ServedEncoder): Promise<ModelFacts> {
    return this.cache.use(
      encoder.id,
      () => this.load(encoder),
      (model) => this.factsOf(encoder.id, model),
    );
  }

  /** The embedding of one prepared image, batched with whatever else is waiting for this encoder. */
  embed(encoder: ServedEncoder, pixels: Float32Array, signal?: AbortSignal): Promise<Float32Array> {
    return this.batcherFor(encoder).submit(pixels, signal);
  }

  /** Unloads an encoder (deleted); a batch using it finishes first. */
  unload(encoderId: string): void {
    this.cache.delete(encoderId);
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    this.cache.clear();
    const thread = this.thread;
    this.thread = undefined;
    await thread?.then((t) => t.close()).catch(() => undefined);
  }

  private factsOf(id: string, model: RemoteEncoder): ModelFacts {
    let facts = this.facts.get(id);
    if (facts === undefined) {
      const { inputSize, embeddingDim } = model.facts;
      const transform = model.transform(this.config.embeddings.maxImagePixels);
      facts = { inputSize, inputLength: model.inputLength, embeddingDim, transform };
      this.facts.set(id, facts);
    }
    return facts;
  }

  private forget(id: string): void {
    this.facts.delete(id);
    const batcher = this.batchers.get(id);
    if (batcher !== undefined && batcher.depth === 0) this.batchers.delete(id);
  }

  private batcherFor(encoder: ServedEncoder): MicroBatcher<Float32Array, Float32Array> {
    let batcher = this.batchers.get(encoder.id);
    if (batcher === undefined) {
      const { maxBatch, maxDelayMs } = this.config.embeddings;
      batcher = new MicroBatcher((items) => this.runBatch(encoder, items), { maxBatch, maxDelayMs }, this.metrics);
      this.batchers.set(encoder.id, batcher);
    }
    return batcher;
  }

  private runBatch(encoder: ServedEncoder, items: Float32Array[]): Promise<Float32Array[]> {
    return this.cache.use(
      encoder.id,
      () => this.load(encoder),
      async (model) => {
        const length = model.inputLength;
        const pixels = new Float32Array(items.length * length);
        items.forEach((item, i) => pixels.set(item, i * length));
        const { features, ms } = await model.forward(pixels, items.length);
        this.metrics.forward(ms / 1000);
        this.admission.observeBatch(items.length, ms / 1000);
        const dim = model.facts.embeddingDim;
        return items.map((_, i) => features.subarray(i * dim, (i + 1) * dim));
      },
    );
  }

  private async load(encoder: ServedEncoder): Promise<RemoteEncoder> {
    const thread = await this.forwardThread();
    const bytes = await buffer(await this.store.get(encoder.objectKey));
    const model = await thread.load(encoder.id, bytes, `encoder ${encoder.id}`);
    const { byteSize, loadMs } = model.facts;
    this.logger.info({ encoderId: encoder.id, bytes: byteSize, ms: Math.round(loadMs) }, 'encoder loaded for serving');
    return model;
  }

  /** Started on first use; if it dies, what it held is dropped and the next request starts another. */
  private forwardThread(): Promise<ForwardThread> {
    this.thread ??= this.startThread().catch((error: unknown) => {
      this.thread = undefined;
      throw error;
    });
    return this.thread;
  }

  private async startThread(): Promise<ForwardThread> {
    const { tensorBackend, tensorThreads } = this.config.jobs.worker;
    const thread = new ForwardThread({ backend: tensorBackend, threads: tensorThreads }, (error) => {
      if (this.closing) return;
      this.logger.error({ err: error }, 'the embeddings forward thread stopped; encoders reload on next use');
      this.thread = undefined;
      this.cache.clear();
    });
    this.logger.info(`embeddings tensor backend: ${await thread.ready}`);
    return thread;
  }
}
