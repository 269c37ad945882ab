import path from 'node:path';
import { z } from 'zod';

/**
 * The only reader of process.env. Every variable is documented in README.md ("Configuration");
 * a wrong value stops start-up with a message naming the variable and what it allows.
 */
const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535 (0 picks a free port)')
  .max(65535, 'must be between 0 and 65535 (0 picks a free port)');

const positiveInt = (max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, `must be between 1 and ${max}`)
    .max(max, `must be between 1 and ${max}`);

const envSchema = z
  .object({
    CLSA_STATE_DIR: z.string().min(1).default('.clsa'),
    HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    HTTP_PORT: port.default(8080),
    PUBLIC_URL: z
      .url({ error: 'must be the URL clients reach the server at, e.g. https://clsa.example.com' })
      .optional(),
    GRPC_HOST: z.string().min(1).default('127.0.0.1'),
    GRPC_PORT: port.default(50051),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    DATABASE_POOL_SIZE: positiveInt(200).default(10),
    S3_ENDPOINT: z.url({ error: 'must be a URL such as https://s3.eu-west-1.amazonaws.com' }).optional(),
    S3_ACCESS_KEY: z.string().min(1).optional(),
    S3_SECRET_KEY: z.string().min(1).optional(),
    S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name (3-63 of a-z 0-9 . -)')
      .optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_PART_SIZE_MB: positiveInt(5120).min(5, 'must be at least 5 (the S3 minimum part size)').default(8),
    S3_PART_CONCURRENCY: positiveInt(64).default(4),
    ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    HTTP_BODY_LIMIT_BYTES: positiveInt(1024 * 1024 * 1024).default(1024 * 1024),
    SHUTDOWN_GRACE_MS: positiveInt(600_000).default(10_000),
    DATASET_MAX_MB: positiveInt(1_000_000_000).default(100 * 1024),
    TEAM_STORAGE_QUOTA_MB: positiveInt(1_000_000_000).default(1024 * 1024),
    UPLOAD_PART_SIZE_MB: positiveInt(5120).min(5, 'must be at least 5 (the S3 minimum part size)').default(64),
    UPLOAD_SESSION_TTL_HOURS: positiveInt(24 * 30).default(24),
    VALIDATION_MAX_IMAGE_MEGAPIXELS: positiveInt(1000).default(50),
    VALIDATION_SHARD_MB: positiveInt(4096).default(256),
    JOB_LEASE_SECONDS: positiveInt(3600).min(2, 'must be between 2 and 3600').default(30),
    EMBEDDED_WORKERS: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 16')
      .max(16, 'must be between 0 and 16')
      .optional(),
    WORKER_ACCELERATOR: z.enum(['CPU', 'GPU'], { error: 'must be CPU or GPU' }).default('CPU'),
    WORKER_NAME: z.string().min(1).max(200).optional(),
    WORKER_HEARTBEAT_FILE: z.string().min(1).max(4096).optional(),
    TENSOR_BACKEND: z
      .enum(['auto', 'tensorflow', 'wasm', 'cpu'], { error: 'must be auto, tensorflow, wasm or cpu' })
      .default('auto'),
    AUGMENT_THREADS: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 64 (0 augments on the training thread)')
      .max(64, 'must be between 0 and 64 (0 augments on the training thread)')
      .default(1),
    TENSOR_THREADS: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be between 1 and 64')
      .max(64, 'must be between 1 and 64')
      .optional(),
    EMBED_MAX_BATCH: positiveInt(1024).default(32),
    EMBED_MAX_DELAY_MS: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 1000')
      .max(1000, 'must be between 0 and 1000')
      .default(5),
    EMBED_QUEUE_LIMIT: positiveInt(100_000).default(512),
    EMBED_MAX_ITEMS: positiveInt(100_000).default(256),
    EMBED_MAX_REQUEST_MB: positiveInt(1024).default(32),
    EMBED_MAX_IMAGE_MEGAPIXELS: positiveInt(1000).default(40),
    EMBED_TIMEOUT_MS: positiveInt(600_000).min(100, 'must be between 100 and 600000').default(30_000),
    EMBED_CACHE_MB: positiveInt(1_000_000).default(1024),
  })
  .superRefine((env, ctx) => {
    if (env.EMBED_MAX_ITEMS > env.EMBED_QUEUE_LIMIT) {
      ctx.addIssue({
        code: 'custom',
        path: ['EMBED_MAX_ITEMS'],
        message: `must be at most EMBED_QUEUE_LIMIT (${env.EMBED_QUEUE_LIMIT}), or a full request could never be admitted`,
      });
    }
    if (env.S3_ENDPOINT === undefined) return;
    for (const key of ['S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_BUCKET'] as const) {
      if (env[key] === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required when S3_ENDPOINT is set' });
      }
    }
  });

export interface S3Config {
  endpoint: URL;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  partSizeBytes: number;
  partConcurrency: number;
}

export interface AppConfig {
  stateDir: string;
  http: { host: string; port: number; bodyLimitBytes: number; publicUrl: string | undefined };
  grpc: { host: string; port: number };
  database: { url: string | undefined; poolSize: number };
  storage: { kind: 's3'; s3: S3Config } | { kind: 'filesystem'; root: string };
  adminToken: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  shutdownGraceMs: number;
  datasets: DatasetLimits;
  jobs: JobSettings;
  embeddings: EmbeddingSettings;
}

export interface EmbeddingSettings {
  /** Dynamic batching: the largest batch, and how long the first waiting image may wait for others. */
  maxBatch: number;
  maxDelayMs: number;
  /** Images in the serving pipeline at once (all encoders); past it requests get 429. */
  queueLimit: number;
  /** Images in one request. */
  maxItems: number;
  /** Largest request body (JSON with base64 images, or all files of a multipart form). */
  maxRequestBytes: number;
  maxImagePixels: number;
  timeoutMs: number;
  /** Bytes of loaded encoder tensors kept in memory; least recently used ones are unloaded past it. */
  cacheBytes: number;
}

export interface JobSettings {
  /** A worker that has not heartbeaten for this long loses its job to the queue. */
  leaseMs: number;
  /** Worker child processes the server starts itself (the embedded default: 1). */
  embeddedWorkers: number;
  worker: {
    accelerator: 'CPU' | 'GPU';
    name: string | undefined;
    tensorBackend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
    augmentThreads: number;
    /** Threads of the wasm tensor backend; undefined: every core. */
    tensorThreads: number | undefined;
    /** A file the worker touches on every heartbeat, for container health checks; none if unset. */
    heartbeatFile: string | undefined;
  };
}

export interface DatasetLimits {
  maxDatasetBytes: number;
  teamQuotaBytes: number;
  uploadPartSizeBytes: number;
  uploadSessionTtlMs: number;
  maxImagePixels: number;
  shardTargetBytes: number;
}

const MIB = 1024 ** 2;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Blank variables count as unset, as shells and compose files often export them empty. */
function withoutBlanks(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== ''),
  );
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(withoutBlanks(env));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const value = env[name];
        const shown =
          value === undefined
            ? ''
            : ` (got ${JSON.stringify(name.includes('SECRET') || name.includes('TOKEN') ? '***' : value)})`;
        return `${name} ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  const stateDir = path.resolve(e.CLSA_STATE_DIR);
  return {
    stateDir,
    http: {
      host: e.HTTP_HOST,
      port: e.HTTP_PORT,
      bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
      publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    },
    grpc: { host: e.GRPC_HOST, port: e.GRPC_PORT },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    storage:
      e.S3_ENDPOINT !== undefined
        ? {
            kind: 's3',
            s3: {
              endpoint: new URL(e.S3_ENDPOINT),
              accessKey: e.S3_ACCESS_KEY ?? '',
              secretKey: e.S3_SECRET_KEY ?? '',
              bucket: e.S3_BUCKET ?? '',
              region: e.S3_REGION,
              partSizeBytes: e.S3_PART_SIZE_MB * MIB,
              partConcurrency: e.S3_PART_CONCURRENCY,
            },
          }
        : { kind: 'filesystem', root: path.join(stateDir, 'objects') },
    adminToken: e.ADMIN_TOKEN,
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    datasets: {
      maxDatasetBytes: e.DATASET_MAX_MB * MIB,
      teamQuotaBytes: e.TEAM_STORAGE_QUOTA_MB * MIB,
      uploadPartSizeBytes: e.UPLOAD_PART_SIZE_MB * MIB,
      uploadSessionTtlMs: e.UPLOAD_SESSION_TTL_HOURS * 3_600_000,
      maxImagePixels: e.VALIDATION_MAX_IMAGE_MEGAPIXELS * 1_000_000,
      shardTargetBytes: e.VALIDATION_SHARD_MB * MIB,
    },
    jobs: {
      leaseMs: e.JOB_LEASE_SECONDS * 1000,
      embeddedWorkers: e.EMBEDDED_WORKERS ?? (e.DATABASE_URL === undefined ? 1 : 0),
      worker: {
        accelerator: e.WORKER_ACCELERATOR,
        name: e.WORKER_NAME,
        tensorBackend: e.TENSOR_BACKEND,
        augmentThreads: e.AUGMENT_THREADS,
        tensorThreads: e.TENSOR_THREADS,
        heartbeatFile: e.WORKER_HEARTBEAT_FILE,
      },
    },
    embeddings: {
      maxBatch: e.EMBED_MAX_BATCH,
      maxDelayMs: e.EMBED_MAX_DELAY_MS,
      queueLimit: e.EMBED_QUEUE_LIMIT,
      maxItems: e.EMBED_MAX_ITEMS,
      maxRequestBytes: e.EMBED_MAX_REQUEST_MB * MIB,
      maxImagePixels: e.EMBED_MAX_IMAGE_MEGAPIXELS * 1_000_000,
      timeoutMs: e.EMBED_TIMEOUT_MS,
      cacheBytes: e.EMBED_CACHE_MB * MIB,
    },
  };
}

/** The environment of a child process the server starts (embedded workers): ours, with overrides. */
export function childEnvironment(overrides: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
