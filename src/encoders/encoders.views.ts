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
    evaluations: e.evaluations.map((v) => ({
      id: v.id,
      kind: v.kind,
      status: v.status,
      datasetId: v.datasetId,
      settings: v.settings,
      top1: v.top1,
      result: v.result ?? null,
      failureReason: v.failureReason,
      createdAt: v.createdAt.toISOString(),
      finishedAt: v.finishedAt?.toISOString() ?? null,
    })),
  };
}
