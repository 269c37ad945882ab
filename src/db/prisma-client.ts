import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

/**
 * The generated Prisma client over node-postgres (Prisma 7 has no bundled query engine); the pool
 * size is explicit because every replica and worker multiplies it against max_connections.
 */
export function createPrismaClient(url: string, poolSize: number): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolSize }) });
}
