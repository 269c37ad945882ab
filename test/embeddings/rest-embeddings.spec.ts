import sharp from 'sharp';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { auth, readyDataset } from '../support/jobs.js';
import {
  batchSizes,
  maxRelativeError,
  referenceEmbeddings,
  registerEncoder,
  type RegisteredEncoder,
  testImages,
  useWasm,
} from './support.js';

/** Online embeddings over REST against the in-process server, a real Postgres and S3 server. */
let app: TestApp;
let team: CreatedTeam;
let other: CreatedTeam;
let encoder: RegisteredEncoder;
let images: Buffer[];
let reference: Float32Array[];

const embed = (body: object, id = encoder.id, as = team) =>
  request(app.httpUrl).post(`/v1/encoders/${id}/embeddings`).set(auth(as)).send(body);
const b64 = (image: Buffer) => ({ image: image.toString('base64') });

beforeAll(async () => {
  await useWasm();
  app = await startTestApp({
    TENSOR_BACKEND: 'wasm',
    EMBED_MAX_DELAY_MS: '20',
    EMBED_MAX_ITEMS: '100',
    EMBED_QUEUE_LIMIT: '200',
    EMBED_MAX_IMAGE_MEGAPIXELS: '1',
  });
  team = await app.createTeam('embeddings');
  other = await app.createTeam('embeddings-other');
  encoder = await registerEncoder(app.infra, team);
  images = await testImages(1000);
  reference = await referenceEmbeddings(encoder.bytes, images);
}, 180_000);
afterAll(async () => {
  await app?.close();
});

describe('POST /v1/encoders/:id/embeddings', () => {
  it('embeds a thousand images, as multipart and as base64 JSON, equal to the in-process forward pass', async () => {
    const chunks = Array.from({ length: 20 }, (_, c) => images.slice(c * 50, (c + 1) * 50));
    const send = (c: number) => {
      const chunk = chunks[c]!;
      if (c % 2 === 0) return embed({ inputs: chunk.map(b64) }).expect(200);
      const form = request(app.httpUrl).post(`/v1/encoders/${encoder.id}/embeddings`).set(auth(team));
      chunk.forEach((image, i) => void form.attach('image', image, `img-${i}.jpg`));
      return form.expect(200);
    };
    // Four requests in flight, as a pipeline's client pool would keep (the first four load the model once).
    const answers: Awaited<ReturnType<typeof send>>[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let c = next++; c < chunks.length; c = next++) answers[c] = await send(c);
      }),
    );
    const vectors = answers.flatMap((res) =>
      (res.body.embeddings as { embedding: number[] }[]).map((e) => e.embedding),
    );
    expect(vectors).toHaveLength(1000);
    expect(answers[0]?.body).toMatchObject({ encoderId: encoder.id, dim: encoder.dim, count: 50, failed: 0 });
    const worst = Math.max(...vectors.map((v: number[], i: number) => maxRelativeError(v, reference[i]!)));
    expect(worst).toBeLessThan(1e-4);
    const metrics = (await request(app.httpUrl).get('/metrics')).text;
    expect(metrics).toMatch(/^clsa_embed_model_cache_misses_total 1$/m);
    expect(metrics).toMatch(/^clsa_embed_model_cache_hits_total (19|[2-9]\d)$/m);
  });

  it('merges concurrent requests into batches (the batch-size metric)', async () => {
    const before = batchSizes((await request(app.httpUrl).get('/metrics')).text);
    await Promise.all(images.slice(0, 16).map((image) => embed({ inputs: [b64(image)] }).expect(200)));
    const after = batchSizes((await request(app.httpUrl).get('/metrics')).text);
    expect(after.sum - before.sum).toBe(16);
    expect(after.count - before.count).toBeLessThan(16);
  });

  it('answers base64 float32, a raw binary body with its shape, and unit vectors on request', async () => {
    const inputs = images.slice(0, 3).map(b64);
    const based = await embed({ inputs, format: 'base64' }).expect(200);
    const decoded = Buffer.from(based.body.embeddings[1].embeddingBase64 as string, 'base64');
    expect(
      maxRelativeError(new Float32Array(decoded.buffer, decoded.byteOffset, encoder.dim), reference[1]!),
    ).toBeLessThan(1e-4);
    const raw = await embed({ inputs })
      .set('accept', 'application/octet-stream')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(raw.headers).toMatchObject({ 'x-clsa-shape': `3,${encoder.dim}`, 'x-clsa-dtype': 'float32-le' });
    const body = raw.body as Buffer;
    const all = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
    expect(maxRelativeError(all.subarray(2 * encoder.dim), reference[2]!)).toBeLessThan(1e-4);
    const unit = await request(app.httpUrl)
      .post(`/v1/encoders/${encoder.id}/embeddings?normalize=true`)
      .set(auth(team))
      .send({ inputs })
      .expect(200);
    for (const { embedding } of unit.body.embeddings as { embedding: number[] }[]) {
      expect(Math.hypot(...embedding)).toBeCloseTo(1, 5);
    }
  });

  it('fails bad images one by one and embeds the rest', async () => {
    const huge = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const res = await embed({
      inputs: [b64(images[0]!), { image: Buffer.from('not an image').toString('base64') }, b64(huge), b64(images[1]!)],
    }).expect(200);
    expect(res.body).toMatchObject({ count: 4, failed: 2 });
    const [first, notImage, tooLarge, last] = res.body.embeddings;
    expect(maxRelativeError(first.embedding, reference[0]!)).toBeLessThan(1e-4);
    expect(maxRelativeError(last.embedding, reference[1]!)).toBeLessThan(1e-4);
    expect(notImage).toMatchObject({ index: 1, error: { code: 'VALIDATION_FAILED', field: 'inputs[1]' } });
    expect(notImage.error.message).toMatch(/not a readable image/);
    expect(tooLarge).toMatchObject({ index: 2, error: { code: 'PAYLOAD_TOO_LARGE', field: 'inputs[2]' } });
    expect(tooLarge.error.message).toMatch(/more than the limit of 1000000 pixels/);
  });

  it('refuses empty and oversized batches, unknown or foreign encoders, and malformed inputs', async () => {
    const empty = await embed({ inputs: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'inputs' });
    const over = await embed({ inputs: images.slice(0, 101).map(b64) }).expect(413);
    expect(over.body.error.message).toMatch(/101 images; the limit is 100 per request/);
    await embed({ inputs: [b64(images[0]!)] }, encoder.id, other).expect(404);
    const unknown = await embed({ inputs: [b64(images[0]!)] }, '01a00000-0000-7000-8000-000000000000').expect(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    const both = await embed({ inputs: [{ image: 'aGk=', datasetId: 'x', key: '1' }] }).expect(400);
    expect(both.body.error.field).toBe('inputs[0]');
    const format = await embed({ inputs: [b64(images[0]!)], format: 'xml' }).expect(400);
    expect(format.body.error).toMatchObject({ field: 'format' });
    const text = await request(app.httpUrl)
      .post(`/v1/encoders/${encoder.id}/embeddings`)
      .set(auth(team))
      .set('content-type', 'text/plain')
      .send('hello')
      .expect(415);
    expect(text.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('embeds samples of a READY dataset by key; missing datasets and keys fail one by one', async () => {
    const datasetId = await readyDataset(app, team, { cat: 4, dog: 4 });
    const keys = Array.from({ length: 8 }, (_, i) => String(i).padStart(9, '0'));
    const byRef = await embed({
      inputs: [
        ...keys.map((key) => ({ datasetId, key })),
        { datasetId, key: '000000999' },
        { datasetId: '01a00000-0000-7000-8000-000000000000', key: '0' },
      ],
    }).expect(200);
    expect(byRef.body.failed).toBe(2);
    expect(byRef.body.embeddings[8].error).toMatchObject({ code: 'NOT_FOUND', field: 'key' });
    expect(byRef.body.embeddings[9].error).toMatchObject({ code: 'NOT_FOUND', field: 'datasetId' });
    const theirs = await embed(
      { inputs: [{ datasetId, key: '0' }] },
      (await registerEncoder(app.infra, other)).id,
      other,
    );
    expect(theirs.body.embeddings[0].error.code).toBe('NOT_FOUND');
    // The samples are the uploaded images (in some order): each one's vector is one of theirs.
    const { jpeg } = await import('../support/dataset-fixtures.js');
    const uploaded = await Promise.all(keys.map((_, i) => jpeg(i)));
    const direct = await embed({ inputs: uploaded.map(b64) }).expect(200);
    for (const { embedding } of byRef.body.embeddings.slice(0, 8) as { embedding: number[] }[]) {
      const best = Math.min(
        ...direct.body.embeddings.map((d: { embedding: number[] }) => maxRelativeError(embedding, d.embedding)),
      );
      expect(best).toBeLessThan(1e-5);
    }
  });

  it('answers 429 with Retry-After when the pipeline is full, and recovers', async () => {
    const batch = { inputs: images.slice(0, 100).map(b64) };
    const answers = await Promise.all(Array.from({ length: 5 }, () => embed(batch)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toContain(429);
    expect(statuses).toContain(200);
    const limited = answers.find((r) => r.status === 429)!;
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await embed(batch).expect(200);
    const metrics = (await request(app.httpUrl).get('/metrics')).text;
    expect(metrics).toMatch(/^clsa_embed_rejected_total [1-9]/m);
    expect(metrics).toMatch(/^clsa_embed_queue_depth 0$/m);
  });

  it('deletes an encoder: its embeddings and its file are gone', async () => {
    const doomed = await registerEncoder(app.infra, team, { seed: 9, name: 'doomed' });
    await embed({ inputs: [b64(images[0]!)] }, doomed.id).expect(200);
    await request(app.httpUrl).delete(`/v1/encoders/${doomed.id}`).set(auth(other)).expect(404);
    await request(app.httpUrl).delete(`/v1/encoders/${doomed.id}`).set(auth(team)).expect(204);
    await request(app.httpUrl).get(`/v1/encoders/${doomed.id}`).set(auth(team)).expect(404);
    await embed({ inputs: [b64(images[0]!)] }, doomed.id).expect(404);
    const listed = await request(app.httpUrl).get('/v1/encoders').set(auth(team)).expect(200);
    expect(listed.body.encoders.map((e: { id: string }) => e.id)).not.toContain(doomed.id);
  });
});
