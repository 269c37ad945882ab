import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { grpcClient } from '../support/grpc-client.js';
import {
  maxRelativeError,
  referenceEmbeddings,
  registerEncoder,
  type RegisteredEncoder,
  testImages,
  useWasm,
} from './support.js';

interface Embedding {
  index: number;
  values: number[];
  error?: { code: string; message: string; field?: string; retryAfterSeconds?: number } | null;
}
interface EmbedResponse {
  encoderId: string;
  dim: number;
  embeddings: Embedding[];
  failed: number;
}
interface StreamAnswer {
  tag: string;
  dim: number;
  embedding: Embedding;
}

/** clsa.v1.EmbeddingService over a real gRPC client, against the in-process server. */
let app: TestApp;
let team: CreatedTeam;
let other: CreatedTeam;
let encoder: RegisteredEncoder;
let images: Buffer[];
let reference: Float32Array[];
let client: ReturnType<typeof grpcClient>;

beforeAll(async () => {
  await useWasm();
  app = await startTestApp({ TENSOR_BACKEND: 'wasm', EMBED_MAX_DELAY_MS: '10', EMBED_MAX_ITEMS: '64' });
  team = await app.createTeam('grpc-embeddings');
  other = await app.createTeam('grpc-embeddings-other');
  encoder = await registerEncoder(app.infra, team);
  images = await testImages(1000, 5);
  reference = await referenceEmbeddings(encoder.bytes, images);
  client = grpcClient(app.grpcAddress, 'EmbeddingService', ['clsa/v1/embeddings.proto']);
}, 180_000);
afterAll(async () => {
  client?.close();
  await app?.close();
});

const embed = (request: object, as: CreatedTeam = team) => client.call<EmbedResponse>('Embed', request, as.secret);

/** Sends every image over one EmbedStream call and collects the answers by tag. */
function streamAll(
  inputs: object[],
  key: string,
): Promise<{ answers: Map<string, StreamAnswer>; status: grpc.StatusObject }> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  const call = (
    client.raw as unknown as { EmbedStream: (m: grpc.Metadata) => grpc.ClientDuplexStream<object, StreamAnswer> }
  ).EmbedStream(metadata);
  const answers = new Map<string, StreamAnswer>();
  call.on('data', (answer: StreamAnswer) => answers.set(answer.tag, answer));
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  for (const [i, input] of inputs.entries()) call.write({ tag: String(i), encoderId: encoder.id, input });
  call.end();
  return status.then((s) => ({ answers, status: s }));
}

describe('EmbeddingService', () => {
  it('Embed: a thousand images in batches equal the in-process forward pass', async () => {
    const vectors: number[][] = [];
    for (let start = 0; start < 1000; start += 200) {
      const batches = [0, 50, 100, 150].map((o) => images.slice(start + o, start + o + 50));
      const answers = await Promise.all(
        batches.map((b) => embed({ encoderId: encoder.id, inputs: b.map((image) => ({ image })) })),
      );
      for (const answer of answers) vectors.push(...answer.embeddings.map((e) => e.values));
    }
    expect(vectors).toHaveLength(1000);
    const worst = Math.max(...vectors.map((v, i) => maxRelativeError(v, reference[i]!)));
    expect(worst).toBeLessThan(1e-4);
  });

  it('EmbedStream: a thousand images over one call, answered by tag', async () => {
    const { answers, status } = await streamAll(
      images.map((image) => ({ image })),
      team.secret,
    );
    expect(status.code).toBe(grpc.status.OK);
    expect(answers.size).toBe(1000);
    let worst = 0;
    for (const [tag, answer] of answers)
      worst = Math.max(worst, maxRelativeError(answer.embedding.values, reference[Number(tag)]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it('fails a bad image alone, normalises on request, and answers errors with their codes', async () => {
    const mixed = await embed({
      encoderId: encoder.id,
      normalize: true,
      inputs: [
        { image: images[0] },
        { image: Buffer.from('no image here') },
        { datasetImage: { datasetId: 'nope', key: '1' } },
      ],
    });
    expect(mixed.failed).toBe(2);
    expect(Math.hypot(...mixed.embeddings[0]!.values)).toBeCloseTo(1, 5);
    expect(mixed.embeddings[1]!.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'inputs[1]' });
    expect(mixed.embeddings[2]!.error).toMatchObject({ code: 'NOT_FOUND', field: 'datasetId' });
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'OK',
        (e: grpc.ServiceError) => `${e.code}:${String(e.metadata.get('clsa-error-code')[0])}`,
      );
    expect(await codeOf(embed({ encoderId: encoder.id, inputs: [] }))).toBe(
      `${grpc.status.INVALID_ARGUMENT}:VALIDATION_FAILED`,
    );
    const tooMany = embed({ encoderId: encoder.id, inputs: images.slice(0, 65).map((image) => ({ image })) });
    expect(await codeOf(tooMany)).toBe(`${grpc.status.RESOURCE_EXHAUSTED}:PAYLOAD_TOO_LARGE`);
    expect(await codeOf(embed({ encoderId: encoder.id, inputs: [{ image: images[0] }] }, other))).toBe(
      `${grpc.status.NOT_FOUND}:NOT_FOUND`,
    );
    expect(await codeOf(embed({ encoderId: 'no-such', inputs: [{ image: images[0] }] }))).toBe(
      `${grpc.status.NOT_FOUND}:NOT_FOUND`,
    );
    expect(await codeOf(client.call('Embed', { encoderId: encoder.id, inputs: [{ image: images[0] }] }))).toBe(
      `${grpc.status.UNAUTHENTICATED}:UNAUTHENTICATED`,
    );
  });

  it('EmbedStream: a bad message is answered with its error and the stream goes on; no key ends it', async () => {
    const { answers, status } = await streamAll(
      [{ image: images[0] }, { image: Buffer.from('junk') }, {}, { image: images[1] }],
      team.secret,
    );
    expect(status.code).toBe(grpc.status.OK);
    expect(answers.get('1')?.embedding.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(answers.get('2')?.embedding.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input' });
    expect(maxRelativeError(answers.get('3')!.embedding.values, reference[1]!)).toBeLessThan(1e-4);
    const refused = await streamAll([{ image: images[0] }], 'clsa_bad_key');
    expect(refused.status.code).toBe(grpc.status.UNAUTHENTICATED);
  });
});
