import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AppRuntime } from './app.module.js';
import type { Logger } from './common/logger.js';
import type { AppConfig } from './config/config.js';
import { startEmbeddedPostgres } from './db/embedded-postgres.js';
import { migrate } from './db/migrator.js';
import { createPrismaClient } from './db/prisma-client.js';
import { JobQueue } from './queue/job-queue.js';
import { createObjectStore } from './storage/create-object-store.js';
import { storageSigningKey } from './storage/signing-key.js';

export interface Infrastructure extends AppRuntime {
  databaseUrl: string;
  embeddedDatabase: boolean;
  /** Where presigned filesystem URLs point; known only once the HTTP server listens. */
  setPublicUrl(url: string): void;
  stop(): Promise<void>;
}

async function startDatabase(config: AppConfig, logger: Logger) {
  if (config.database.url !== undefined) return { url: config.database.url, stop: async () => {} };
  const log = logger.child({ component: 'embedded-postgres' });
  // Postgres's own lines (checkpoints and the like) are detail; our start/stop lines are news.
  return startEmbeddedPostgres({
    dataDir: path.join(config.stateDir, 'postgres'),
    log: (msg) => (msg.startsWith('postgres: ') ? log.debug(msg) : log.info(msg)),
  });
}

/** Database (embedded or external), migrations, Prisma, the object store and the job queue, started in order. */
export async function startInfrastructure(config: AppConfig, logger: Logger): Promise<Infrastructure> {
  await mkdir(config.stateDir, { recursive: true });
  const database = await startDatabase(config, logger);
  try {
    const { applied } = await migrate(database.url, { log: (msg) => logger.info({ component: 'migrator' }, msg) });
    logger.info({ applied }, applied.length > 0 ? 'migrations applied' : 'database schema up to date');
    let publicUrl = config.http.publicUrl ?? `http://${config.http.host}:${config.http.port}`;
    const objectStore = await createObjectStore(config.storage, {
      signingKey: config.storage.kind === 'filesystem' ? await storageSigningKey(config.stateDir) : Buffer.alloc(0),
      publicBaseUrl: () => publicUrl,
    });
    const prisma = createPrismaClient(database.url, config.database.poolSize);
    const queue = new JobQueue(database.url, logger.child({ component: 'queue' }));
    await queue.start();
    return {
      config,
      logger,
      prisma,
      objectStore,
      queue,
      databaseUrl: database.url,
      embeddedDatabase: config.database.url === undefined,
      setPublicUrl: (url) => {
        publicUrl = config.http.publicUrl ?? url;
      },
      stop: async () => {
        await queue.stop();
        await prisma.$disconnect();
        await database.stop();
      },
    };
  } catch (error) {
    await database.stop();
    throw error;
  }
}
