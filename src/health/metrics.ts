import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so tests can start several apps in one process. */
export class AppMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'clsa_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly grpcCalls = new Counter({
    name: 'clsa_grpc_calls_total',
    help: 'gRPC calls by method and status code',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });
  readonly grpcDuration = new Histogram({
    name: 'clsa_grpc_call_duration_seconds',
    help: 'gRPC unary call duration by method',
    labelNames: ['method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly embed = {
    latency: new Histogram({
      name: 'clsa_embed_request_duration_seconds',
      help: 'Embedding requests (REST, gRPC Embed, one EmbedStream message) from arrival to answer, by transport',
      labelNames: ['transport'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    }),
    batchSize: new Histogram({
      name: 'clsa_embed_batch_size',
      help: 'Images per forward pass formed by dynamic batching',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [this.registry],
    }),
    forwardSeconds: new Histogram({
      name: 'clsa_embed_forward_seconds',
      help: 'Time of one batched forward pass',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    }),
    queueDepth: new Gauge({
      name: 'clsa_embed_queue_depth',
      help: 'Images admitted to the serving pipeline and not yet answered (decoding, waiting, in a batch)',
      registers: [this.registry],
    }),
    images: new Counter({
      name: 'clsa_embed_images_total',
      help: 'Images embedded (ok) or refused one by one (failed)',
      labelNames: ['outcome'] as const,
      registers: [this.registry],
    }),
    rejected: new Counter({
      name: 'clsa_embed_rejected_total',
      help: 'Requests refused because the serving pipeline was full (HTTP 429 / RESOURCE_EXHAUSTED)',
      registers: [this.registry],
    }),
    cacheHits: new Counter({
      name: 'clsa_embed_model_cache_hits_total',
      help: 'Model look-ups served from memory (or joining a load in progress)',
      registers: [this.registry],
    }),
    cacheMisses: new Counter({
      name: 'clsa_embed_model_cache_misses_total',
      help: 'Model look-ups that loaded the encoder from the object store',
      registers: [this.registry],
    }),
    cacheEvictions: new Counter({
      name: 'clsa_embed_model_cache_evictions_total',
      help: 'Encoders unloaded to stay within EMBED_CACHE_MB, or because they were deleted',
      registers: [this.registry],
    }),
    cacheBytes: new Gauge({
      name: 'clsa_embed_model_cache_bytes',
      help: 'Bytes of encoder tensors loaded for serving',
      registers: [this.registry],
    }),
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'clsa_' });
  }
}
