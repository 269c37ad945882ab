import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import type { ObjectStore } from '../storage/object-store.js';
import { PRISMA } from '../db/database.module.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { AppMetrics } from './metrics.js';

const CHECK_TIMEOUT_MS = 3_000;

async function check(
  name: string,
  probe: () => Promise<unknown>,
): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

@ApiExcludeController()
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly metrics: AppMetrics,
  ) {}

  /** Liveness: the process answers. Dependencies are /readyz's business. */
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() reply: FastifyReply) {
    const checks = await Promise.all([
      check('database', () => this.prisma.$queryRaw`SELECT 1`),
      check('storage', () => this.store.ping()),
    ]);
    const ready = checks.every((c) => c.ok);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metricsText() {
    return this.metrics.registry.metrics();
  }
}
