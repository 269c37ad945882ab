import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startApp } from './app.js';
import { TeamsService } from './auth/teams.service.js';
import { createLogger, type Logger } from './common/logger.js';
import { childEnvironment, ConfigError, loadConfig, type AppConfig } from './config/config.js';
import { settleNativeRuntime } from './config/native-runtime.js';
import { startInfrastructure, type Infrastructure } from './infrastructure.js';
import { EmbeddedWorkers } from './jobs/embedded-workers.js';

function readConfig(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee README.md, section "Configuration", for every variable.\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** First start of the embedded default: make a team and hand its admin key to the person at the terminal. */
async function bootstrapFirstKey(infra: Infrastructure, teams: TeamsService): Promise<string | null> {
  if (!infra.embeddedDatabase) return null;
  const created = await teams.createFirstTeamIfNone();
  if (created === null) return null;
  // The key file sits beside the database files it unlocks, readable by the same user only.
  const file = path.join(infra.config.stateDir, 'first-admin-key.txt');
  await writeFile(file, `${created.secret}\n`, { mode: 0o600 });
  return created.secret;
}

function onSignals(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop(signal);
    });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = readConfig();
  settleNativeRuntime();
  const logger: Logger = createLogger(config.logLevel);
  const infra = await startInfrastructure(config, logger);
  const bootstrap: { firstKey: string | null } = { firstKey: null };
  const running = await startApp(infra, async (app) => {
    bootstrap.firstKey = await bootstrapFirstKey(infra, app.get(TeamsService));
  }).catch(async (error: unknown) => {
    await infra.stop();
    throw error;
  });
  infra.setPublicUrl(running.httpUrl);
  // The children join the server's own database, whichever it is (the embedded one's URL included).
  const workers = new EmbeddedWorkers(
    childEnvironment({ DATABASE_URL: infra.databaseUrl }),
    logger.child({ component: 'workers' }),
  );
  workers.start(config.jobs.embeddedWorkers);
  // Signals are handled before readiness is announced: whoever reads the banner may stop us at once.
  onSignals(async (signal) => {
    logger.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      logger.error({ graceMs: config.shutdownGraceMs }, 'shutdown grace period exceeded; exiting');
      void infra.stop().finally(() => process.exit(1));
    }, config.shutdownGraceMs);
    force.unref();
    await workers.stop(config.shutdownGraceMs / 2);
    await running.app.close();
    await infra.stop();
    logger.info('stopped');
    process.exit(0);
  });
  logger.info(
    { http: running.httpUrl, grpc: running.grpcAddress, storage: config.storage.kind, startupMs: Date.now() - started },
    'CLSA service ready',
  );
  process.stdout.write(
    `\nCLSA service listening on ${running.httpUrl} (gRPC ${running.grpcAddress}); API docs at ${running.httpUrl}/docs\n`,
  );
  if (bootstrap.firstKey !== null) {
    const file = path.join(config.stateDir, 'first-admin-key.txt');
    process.stdout.write(`First admin API key (shown once; also saved to ${file}):\n  ${bootstrap.firstKey}\n\n`);
  }
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandled rejection: ${String(reason)}\n`);
  process.exit(1);
});

main().catch((error: unknown) => {
  process.stderr.write(
    `CLSA service failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
