import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/clsa/tensor/index.js';
import { train } from '../../src/clsa/train/trainer.js';
import { datasetShardSource } from '../../src/datasets/dataset-shard-source.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { readyDataset } from '../support/jobs.js';

describe.each(['s3', 'filesystem'] as const)('training straight from the %s object store', (storage) => {
  let app: TestApp;
  let prefix: string;

  beforeAll(async () => {
    await selectBackend('wasm');
    app = await startTestApp({}, storage);
    const team = await app.createTeam(`train-${storage}`);
    prefix = `teams/${team.team.id}/datasets/${await readyDataset(app, team)}/`;
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
