import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the embedded default with no variables at all', () => {
    const config = loadConfig({});
    expect(config.database.url).toBeUndefined();
    expect(config.storage).toEqual({ kind: 'filesystem', root: path.resolve('.clsa', 'objects') });
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.grpc).toEqual({ host: '127.0.0.1', port: 50051 });
  });

  it('switches to S3 when S3_ENDPOINT is set, with part sizes in bytes', () => {
    const config = loadConfig({
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_ACCESS_KEY: 'k',
      S3_SECRET_KEY: 's',
      S3_BUCKET: 'clsa-data',
      S3_PART_SIZE_MB: '8',
    });
    expect(config.storage.kind).toBe('s3');
    if (config.storage.kind !== 's3') return;
    expect(config.storage.s3).toMatchObject({
      bucket: 'clsa-data',
      partSizeBytes: 8 * 1024 * 1024,
      partConcurrency: 4,
    });
  });

  it('starts one embedded worker on the embedded database only, and reads the worker settings', () => {
    expect(loadConfig({}).jobs).toEqual({
      leaseMs: 30_000,
      embeddedWorkers: 1,
      worker: {
        accelerator: 'CPU',
        name: undefined,
        tensorBackend: 'auto',
        augmentThreads: 1,
        tensorThreads: undefined,
        heartbeatFile: undefined,
      },
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://db/clsa' }).jobs.embeddedWorkers).toBe(0);
    const config = loadConfig({
      DATABASE_URL: 'postgres://db/clsa',
      EMBEDDED_WORKERS: '2',
      JOB_LEASE_SECONDS: '5',
      WORKER_ACCELERATOR: 'GPU',
      WORKER_NAME: 'gpu-node-7',
      TENSOR_BACKEND: 'tensorflow',
      AUGMENT_THREADS: '6',
      TENSOR_THREADS: '3',
      WORKER_HEARTBEAT_FILE: '/tmp/clsa-worker-heartbeat',
    });
    expect(config.jobs).toEqual({
      leaseMs: 5000,
      embeddedWorkers: 2,
      worker: {
        accelerator: 'GPU',
        name: 'gpu-node-7',
        tensorBackend: 'tensorflow',
        augmentThreads: 6,
        tensorThreads: 3,
        heartbeatFile: '/tmp/clsa-worker-heartbeat',
      },
    });
    expect(
      problems({
        JOB_LEASE_SECONDS: '1',
        EMBEDDED_WORKERS: '17',
        WORKER_ACCELERATOR: 'TPU',
        TENSOR_BACKEND: 'cuda',
        TENSOR_THREADS: '0',
      }),
    ).toEqual([
      'JOB_LEASE_SECONDS must be between 2 and 3600 (got "1")',
      'EMBEDDED_WORKERS must be between 0 and 16 (got "17")',
      'WORKER_ACCELERATOR must be CPU or GPU (got "TPU")',
      'TENSOR_BACKEND must be auto, tensorflow, wasm or cpu (got "cuda")',
      'TENSOR_THREADS must be between 1 and 64 (got "0")',
    ]);
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '  ', HTTP_PORT: '' }).http.port).toBe(8080);
  });

  it('reports every wrong variable at once, each with what it allows', () => {
    const found = problems({
      HTTP_PORT: '-1',
      S3_PART_SIZE_MB: '1',
      S3_BUCKET: 'Bad_Bucket',
      S3_ENDPOINT: 'not a url',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^HTTP_PORT must be between 0 and 65535/),
        expect.stringMatching(/^S3_PART_SIZE_MB must be at least 5/),
        expect.stringMatching(/^S3_BUCKET must be a valid S3 bucket name/),
        expect.stringMatching(/^S3_ENDPOINT must be a URL/),
      ]),
    );
  });

  it('never echoes secrets in its messages', () => {
    const [message] = problems({ ADMIN_TOKEN: 'hunter2' });
    expect(message).toContain('ADMIN_TOKEN');
    expect(message).not.toContain('hunter2');
  });

  it('reads the embedding serving settings, in bytes and pixels, and checks them', () => {
    expect(loadConfig({}).embeddings).toEqual({
      maxBatch: 32,
      maxDelayMs: 5,
      queueLimit: 512,
      maxItems: 256,
      maxRequestBytes: 32 * 1024 * 1024,
      maxImagePixels: 40_000_000,
      timeoutMs: 30_000,
      cacheBytes: 1024 * 1024 * 1024,
    });
    const config = loadConfig({ EMBED_MAX_BATCH: '8', EMBED_MAX_DELAY_MS: '0', EMBED_CACHE_MB: '64' });
    expect(config.embeddings).toMatchObject({ maxBatch: 8, maxDelayMs: 0, cacheBytes: 64 * 1024 * 1024 });
    expect(problems({ EMBED_MAX_BATCH: '0', EMBED_MAX_DELAY_MS: '5000', EMBED_TIMEOUT_MS: '10' })).toEqual([
      expect.stringMatching(/^EMBED_MAX_BATCH must be between 1 and 1024/),
      expect.stringMatching(/^EMBED_MAX_DELAY_MS must be between 0 and 1000/),
      expect.stringMatching(/^EMBED_TIMEOUT_MS must be between 100 and 600000/),
    ]);
    expect(problems({ EMBED_QUEUE_LIMIT: '10', EMBED_MAX_ITEMS: '20' })).toEqual([
      expect.stringMatching(/^EMBED_MAX_ITEMS must be at most EMBED_QUEUE_LIMIT \(10\)/),
    ]);
  });

  it('strips a trailing slash from PUBLIC_URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://clsa.example.com/' }).http.publicUrl).toBe('https://clsa.example.com');
  });
});
