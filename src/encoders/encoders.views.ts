import { evaluationView } from '../evaluations/evaluations.views.js';
import type { EncoderRecord } from './encoders.repository.js';

export function encoderView(e: EncoderRecord) {
  return {
    id: e.id,
    name: e.name,
    jobId: e.jobId,
    datasetId: e.datasetId,
    architecture: e.architecture,
    embeddingDim: e.embeddingDim,
    inputSize: e.inputSize,
    normalisation: e.normalisation,
    lineage: e.lineage,
    sizeBytes: Number(e.sizeBytes),
    createdAt: e.createdAt.toISOString(),
    evaluations: e.evaluations.map(evaluationView),
  };
}
