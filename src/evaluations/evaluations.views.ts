import type { EvaluationRecord } from './evaluations.repository.js';

export function evaluationView(v: EvaluationRecord) {
  return {
    id: v.id,
    encoderId: v.encoderId,
    datasetId: v.datasetId,
    kind: v.kind,
    status: v.status,
    settings: v.settings,
    top1: v.top1,
    result: v.result ?? null,
    failureReason: v.failureReason,
    createdAt: v.createdAt.toISOString(),
    finishedAt: v.finishedAt?.toISOString() ?? null,
  };
}
