#!/usr/bin/env node
/**
 * The training worker: `node dist/src/worker.js` on each GPU (or CPU) node, against the same
 * Postgres and object store as the API server (DATABASE_URL and S3_* as for the server; in the
 * embedded default the server starts one itself). WORKER_ACCELERATOR picks the jobs it takes.
 * SIGTERM/SIGINT: the running job writes a checkpoint and goes back to the queue.
 */
import os from 'node:os';
import { describeViewCode } from './clsa/data/views.js';
import { selectBackend } from './clsa/tensor/index.js';
import { createLogger } from './common/logger.js';
import { ConfigError, loadConfig } from './config/config.js';
import { settleNativeRuntime } from './config/native-runtime.js';
import { createPrismaClient } from './db/prisma-client.js';
import { EvaluationsRepository } from './evaluations/evaluations.repository.js';
import { ExportsRepository } from './exports/exports.repository.js';
import { JobAttemptsRepository } from './jobs/job-attempts.repository.js';
import { TrainingWorker } from './jobs/worker/training-worker.js';
import { WorkersRepository } from './jobs/workers.repository.js';
import { JobQueue } from './queue/job-queue.js';
import { createObjectStore } from './storage/create-object-store.js';
import { storageSigningKey } from './storage/signing-key.js';

async function main(): Promise<void> {
  const config = loadConfig();
  settleNativeRuntime();
  const logger = createLogger(config.logLevel).child({ component: 'worker' });
  if (config.database.url === undefined) {
    throw new ConfigError(['DATABASE_URL is required: a worker joins the Postgres of an API server']);
  }
  const { worker: settings, leaseMs } = config.jobs;
  const backend = await selectBackend(settings.tensorBackend, (m) => logger.info(`tensor backend: ${m}`), {
    threads: settings.tensorThreads,
  });
  logger.info(describeViewCode());
  const prisma = createPrismaClient(config.database.url, 4);
  // A worker never hands out links, but the filesystem store wants its key all the same.
  const signingKey = config.storage.kind === 'filesystem' ? await storageSigningKey(config.stateDir) : Buffer.alloc(0);
  const store = await createObjectStore(config.storage, { signingKey, publicBaseUrl: () => '' });
  const queue = new JobQueue(config.database.url, logger.child({ component: 'queue' }));
  await queue.start();
  const worker = new TrainingWorker(
    new WorkersRepository(prisma),
    new JobAttemptsRepository(prisma),
    new EvaluationsRepository(prisma),
    new ExportsRepository(prisma),
    queue,
    store,
    logger,
    {
      name: settings.name ?? `${os.hostname()}-${process.pid}`,
      accelerator: settings.accelerator,
      backend: backend.name,
      leaseMs,
      augmentThreads: settings.augmentThreads,
      ...(settings.heartbeatFile === undefined ? {} : { heartbeatFile: settings.heartbeatFile }),
    },
  );
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'stopping');
    void worker
      .stop()
      .then(() => prisma.$disconnect())
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop(signal));
  // An embedded worker must not outlive its server, even one that was SIGKILLed.
  process.on('disconnect', () => {
    stop('the server that started this worker is gone');
    setTimeout(() => process.exit(1), 10_000).unref();
  });
  const workerId = await worker.start();
  process.stdout.write(`CLSA worker ${workerId} ready (${settings.accelerator}, ${backend.name})\n`);
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`CLSA worker failed to start: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
