/**
 * A worker's side of an evaluation: the encoder's exported file from the object store, frozen
 * features of the dataset's images, then weighted kNN or a linear probe on a held-out split.
 */
import { buffer } from 'node:stream/consumers';
import { extractFeatures } from '../clsa/eval/features.js';
import { holdoutKnn, holdoutLinearProbe } from '../clsa/eval/holdout.js';
import { readEncoderBuffer } from '../clsa/io/encoder-file.js';
import type { Logger } from '../common/logger.js';
import { datasetShardSource } from '../datasets/dataset-shard-source.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { KnnSettings, LinearSettings } from './evaluation-settings.js';
import type { EvaluationsRepository } from './evaluations.repository.js';

export async function runEvaluation(
  evaluationId: string,
  deps: { evaluations: EvaluationsRepository; store: ObjectStore; log: Logger },
): Promise<void> {
  const evaluation = await deps.evaluations.claim(evaluationId);
  if (evaluation === null) return;
  const { dataset, encoder } = evaluation;
  try {
    if (dataset === null || dataset.status !== 'READY') throw new Error('its dataset was deleted or is not READY');
    const { info, backbone } = readEncoderBuffer(
      await buffer(await deps.store.get(encoder.objectKey)),
      encoder.objectKey,
    );
    try {
      const features = await extractFeatures(backbone, datasetShardSource(deps.store, dataset.objectPrefix), {
        inputSize: info.inputSize,
        mean: info.mean,
        std: info.std,
      });
      const classCount = dataset.labels.length;
      const result =
        evaluation.kind === 'KNN'
          ? holdoutKnn(features, { classCount, ...(evaluation.settings as KnnSettings) })
          : holdoutLinearProbe(features, { classCount, ...(evaluation.settings as LinearSettings) });
      if (result === null) throw new Error('too few labelled images to hold some out');
      await deps.evaluations.finish(evaluationId, result.top1, { ...result });
      deps.log.info({ evaluationId, kind: evaluation.kind, top1: result.top1 }, 'evaluation finished');
    } finally {
      backbone.params.dispose();
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    deps.log.error({ err: error, evaluationId }, 'evaluation failed');
    await deps.evaluations.fail(evaluationId, reason);
  }
}
