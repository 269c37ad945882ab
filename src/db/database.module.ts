import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';

export const PRISMA = Symbol('PrismaClient');

/**
 * Owns the client's lifetime. Disconnects on application *shutdown*, which Nest runs after the
 * HTTP and gRPC servers have drained, so in-flight requests keep their database.
 */
@Injectable()
class PrismaLifecycle implements OnApplicationShutdown {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.prisma.$disconnect();
  }
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(prisma: PrismaClient) {
    return {
      module: DatabaseModule,
      providers: [{ provide: PRISMA, useValue: prisma }, PrismaLifecycle],
      exports: [PRISMA],
    };
  }
}
