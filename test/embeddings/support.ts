import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { FrozenEncoder } from '../../src/clsa/eval/frozen-encoder.js';
import { writeEvalInput } from '../../src/clsa/eval/preprocess.js';
import { writeEncoderFile } from '../../src/clsa/io/encoder-file.js';
import { createEncoder, type EncoderSpec } from '../../src/clsa/model/index.js';
import { selectBackend } from '../../src/clsa/tensor/index.js';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { newId } from '../../src/common/ids.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';

/** The small test encoder: ResNet-18 with the small-image stem, narrow, at 32 px, random weights. */
export const SMALL: EncoderSpec = { architecture: 'resnet18', smallImageStem: true, baseWidth: 8, projectionDim: 16 };
export const MEAN = [0.5, 0.45, 0.4] as const;
export const STD = [0.25, 0.24, 0.26] as const;

export interface RegisteredEncoder {
  id: string;
  bytes: Buffer;
  dim: number;
}

/**
 * Writes a random-init encoder with writeEncoderFile, stores it and registers its Encoder row as a
 * finished job would (no job: an encoder uploaded by hand looks the same to serving).
 */
export async function registerEncoder(
  deps: { prisma: PrismaClient; objectStore: ObjectStore },
  team: CreatedTeam,
  options: { spec?: EncoderSpec; inputSize?: number; seed?: number; name?: string } = {},
): Promise<RegisteredEncoder> {
  const { spec = SMALL, inputSize = 32, seed = 7, name = 'test-encoder' } = options;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-encoder-'));
  const encoder = createEncoder(spec, seed);
  try {
    const file = path.join(dir, 'encoder.safetensors');
    const info = await writeEncoderFile(file, encoder, { inputSize, mean: MEAN, std: STD, provenance: {} });
    const bytes = await readFile(file);
    const id = newId();
    const objectKey = `teams/${team.team.id}/encoders/${id}/encoder.safetensors`;
    await deps.objectStore.put(objectKey, bytes);
    await deps.prisma.encoder.create({
      data: {
        id,
        teamId: team.team.id,
        name,
        architecture: spec.architecture,
        embeddingDim: info.embeddingDim,
        inputSize,
        normalisation: { mean: [...MEAN], std: [...STD] },
        lineage: { source: 'test' },
        objectKey,
        sizeBytes: BigInt(bytes.length),
      },
    });
    return { id, bytes, dim: info.embeddingDim };
  } finally {
    encoder.params.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The same tensor backend the in-process server picks (TENSOR_BACKEND=wasm in these tests). */
export async function useWasm(): Promise<void> {
  await selectBackend('wasm');
}

/** Embeddings by the in-process forward pass, with the shared evaluation transform: the reference. */
export async function referenceEmbeddings(bytes: Buffer, images: Buffer[], batch = 64): Promise<Float32Array[]> {
  const model = FrozenEncoder.fromBytes(bytes, 'reference');
  try {
    const transform = model.transform(50_000_000);
    const out: Float32Array[] = [];
    for (let start = 0; start < images.length; start += batch) {
      const chunk = images.slice(start, start + batch);
      const pixels = new Float32Array(chunk.length * model.inputLength);
      for (const [i, image] of chunk.entries()) await writeEvalInput(image, transform, pixels, i * model.inputLength);
      const features = model.forward(pixels, chunk.length);
      chunk.forEach((_, i) => out.push(features.slice(i * model.embeddingDim, (i + 1) * model.embeddingDim)));
    }
    return out;
  } finally {
    model.dispose();
  }
}

/** Distinct small images of assorted sizes and formats (not square: the transform crops). */
export async function testImages(count: number, seed = 0): Promise<Buffer[]> {
  const images: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const width = 32 + ((n * 7) % 24);
    const height = 32 + ((n * 13) % 20);
    const pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * (31 + n) + (seed + n) * 97) % 256;
    const image = sharp(pixels, { raw: { width, height, channels: 3 } });
    images.push(await (n % 3 === 2 ? image.png() : image.jpeg({ quality: 90 })).toBuffer());
  }
  return images;
}

/** Largest absolute difference relative to the reference's scale. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i] as number));
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  return actual.length === expected.length ? worst / scale : Infinity;
}

/** Sum and count of the batch-size histogram on /metrics. */
export function batchSizes(metrics: string): { sum: number; count: number } {
  const sum = /^clsa_embed_batch_size_sum (\S+)$/m.exec(metrics)?.[1];
  const count = /^clsa_embed_batch_size_count (\S+)$/m.exec(metrics)?.[1];
  return { sum: Number(sum ?? 0), count: Number(count ?? 0) };
}
