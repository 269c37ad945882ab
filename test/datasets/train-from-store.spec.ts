import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { selectBackend } from '../../src/clsa/tensor/index.js';
import { train } from '../../src/clsa/train/trainer.js';
import { datasetShardSource } from '../../src/datasets/dataset-shard-source.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { imageFolderTar } from '../support/dataset-fixtures.js';

/** Uploads an ImageFolder tar through the API and waits until validation has made it READY. */
async function readyDataset(app: TestApp, team: CreatedTeam): Promise<string> {
  const auth = { authorization: `Bearer ${team.secret}` };
  const created = await request(app.httpUrl).post('/v1/datasets').set(auth).send({ name: 'train-me' }).expect(201);
  const id: string = created.body.id;
  await request(app.httpUrl)
    .put(`/v1/datasets/${id}/archives/pets.tar`)
    .set(auth)
    .set('content-type', 'application/octet-stream')
    .send(await imageFolderTar({ cat: 6, dog: 6 }))
    .expect(200);
  await request(app.httpUrl).post(`/v1/datasets/${id}/complete`).set(auth).expect(202);
  for (let i = 0; i < 600; i++) {
    const res = await request(app.httpUrl).get(`/v1/datasets/${id}`).set(auth).expect(200);
    if (res.body.status === 'READY') return `teams/${team.team.id}/datasets/${id}/`;
    if (res.body.status === 'FAILED') throw new Error(`validation failed: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('validation did not finish');
}

describe.each(['s3', 'filesystem'] as const)('training straight from the %s object store', (storage) => {
  let app: TestApp;
  let prefix: string;

  beforeAll(async () => {
    await selectBackend('wasm');
    app = await startTestApp({}, storage);
    prefix = await readyDataset(app, await app.createTeam(`train-${storage}`));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('reads the validated shards and labels and runs CLSA steps on them', async () => {
    const source = datasetShardSource(app.infra.objectStore, prefix);
    const index = await source.readIndex();
    expect(index).toMatchObject({ imageCount: 12, labels: ['cat', 'dog'] });
    const losses: number[] = [];
    const { encoder, outcome } = await train({
      config: {
        encoder: { architecture: 'resnet18', smallImageStem: true, baseWidth: 4, projectionDim: 8 },
        batchSize: 6,
        epochs: 1,
        queueSize: 12,
        views: {
          key: { size: 16, scale: [0.2, 1] },
          weak: [{ size: 16, scale: [0.2, 1] }],
          strong: [{ size: 8, scale: [0.086, 0.429] }],
        },
      },
      source,
      callbacks: { onStep: (m) => void losses.push(m.loss) },
    });
    encoder.params.dispose();
    expect(outcome).toBe('completed');
    expect(losses).toHaveLength(2);
    for (const loss of losses) expect(Number.isFinite(loss) && loss > 0).toBe(true);
  });

  it('refuses shard names that would leave the dataset', async () => {
    const source = datasetShardSource(app.infra.objectStore, prefix);
    await expect(source.openShard('../other/shards/shard-000000.tar')).rejects.toThrow(
      'shard name "../other/shards/shard-000000.tar" is not of the form shards/<file>.tar',
    );
    await expect(source.openShard('shards/../../x.tar')).rejects.toThrow(/is not of the form/);
  });
});
