import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { TeamsService, type CreatedTeam } from '../../src/auth/teams.service.js';
import { createLogger } from '../../src/common/logger.js';
import { loadConfig } from '../../src/config/config.js';
import { startInfrastructure, type Infrastructure } from '../../src/infrastructure.js';
import { createTestDatabase } from './postgres.js';
import { createTestBucket } from './s3-server.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';

export interface TestApp extends RunningApp {
  infra: Infrastructure;
  createTeam(name: string): Promise<CreatedTeam>;
  close(): Promise<void>;
}

/**
 * The real server in this process: its own migrated database on the suite's Postgres, its own
 * bucket on the suite's S3 server (or a filesystem store in a temp folder), HTTP and gRPC on free
 * loopback ports.
 */
async function s3Env(): Promise<Record<string, string>> {
  const s3 = inject('s3Server');
  return {
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_REGION: s3.region,
    S3_BUCKET: await createTestBucket(s3),
  };
}

export async function startTestApp(
  env: Record<string, string> = {},
  storage: 's3' | 'filesystem' = 's3',
): Promise<TestApp> {
  const database = await createTestDatabase(inject('postgresAdminUrl'));
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-app-'));
  const config = loadConfig({
    CLSA_STATE_DIR: stateDir,
    DATABASE_URL: database.url,
    ...(storage === 's3' ? await s3Env() : {}),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'silent',
    ADMIN_TOKEN,
    ...env,
  });
  const infra = await startInfrastructure(config, createLogger(config.logLevel));
  const running = await startApp(infra);
  infra.setPublicUrl(running.httpUrl);
  return {
    ...running,
    infra,
    createTeam: (name) => running.app.get(TeamsService).create(name),
    close: async () => {
      await running.app.close();
      await infra.stop();
      await database.drop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
