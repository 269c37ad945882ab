import { Inject, Injectable } from '@nestjs/common';
import { newId } from '../common/ids.js';
import { PRISMA } from '../db/database.module.js';
import type { PrismaClient } from '../generated/prisma/client.js';

/** What a worker announces about itself when it starts. */
export interface WorkerInfo {
  name: string;
  accelerator: 'CPU' | 'GPU';
  backend: string;
  memoryBytes: bigint;
  hostname: string;
  pid: number;
}

/** The processes that train: their capabilities and whether they are alive. */
@Injectable()
export class WorkersRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async register(info: WorkerInfo): Promise<string> {
    const id = newId();
    await this.prisma.worker.create({ data: { id, ...info } });
    return id;
  }

  async heartbeat(workerId: string): Promise<void> {
    await this.prisma.worker.update({ where: { id: workerId }, data: { heartbeatAt: new Date() } });
  }

  async stopped(workerId: string): Promise<void> {
    await this.prisma.worker.update({ where: { id: workerId }, data: { stoppedAt: new Date() } });
  }
}
