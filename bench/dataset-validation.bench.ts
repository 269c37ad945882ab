import os from 'node:os';
import { Readable } from 'node:stream';
import { beforeAll, bench, describe } from 'vitest';
import { validateDataset } from '../src/datasets/validation/validate-dataset.js';
import type { ArchiveSource } from '../src/datasets/validation/validation.types.js';
import { jpeg, tarOf, type TarMember } from '../test/support/dataset-fixtures.js';

/**
 * Validation throughput: decode, inspect and re-shard every image of an in-memory ImageFolder tar.
 * Images per second per core = IMAGES / median seconds / cores; the table's ratio compares sizes.
 */
const IMAGES = 1000;
const cores = os.availableParallelism();
const archives = new Map<number, Buffer>();

function source(buffer: Buffer): ArchiveSource {
  return {
    name: 'bench.tar',
    size: buffer.length,
    open: (range) =>
      Promise.resolve(
        Readable.from([buffer.subarray(range?.start ?? 0, range?.end !== undefined ? range.end + 1 : undefined)]),
      ),
  };
}

async function validate(side: number): Promise<void> {
  const archive = archives.get(side);
  if (archive === undefined) throw new Error('no archive');
  const summary = await validateDataset({
    layout: 'imagefolder',
    sources: [source(archive)],
    limits: {
      maxImagePixels: 50e6,
      maxMemberBytes: 64 * 2 ** 20,
      maxTotalUncompressedBytes: 2 ** 34,
      maxCompressionRatio: 200,
      maxMembers: 1e6,
      shardTargetBytes: 256 * 2 ** 20,
    },
    sink: { write: async (_name, body) => void (await body.toArray()) },
    onRejected: () => undefined,
  });
  if (summary.imageCount !== IMAGES) throw new Error(`validated ${summary.imageCount} of ${IMAGES}`);
}

beforeAll(async () => {
  for (const side of [64, 256]) {
    const members: TarMember[] = [];
    for (let i = 0; i < IMAGES; i++) members.push({ name: `class${i % 10}/${i}.jpg`, body: await jpeg(i, side) });
    archives.set(side, await tarOf(members));
  }
  console.log(`validation bench: ${IMAGES} JPEGs per run on ${cores} cores`);
});

describe(`validate ${IMAGES} JPEGs (ImageFolder tar, ${cores} cores)`, () => {
  const options = { iterations: 5, time: 0, warmupIterations: 1 };
  bench('64×64 px', () => validate(64), options);
  bench('256×256 px', () => validate(256), options);
});
