import { Injectable } from '@nestjs/common';
import { AppError, notFound } from '../common/app-error.js';
import { isId, newId } from '../common/ids.js';
import { DatasetsRepository } from '../datasets/datasets.repository.js';
import { EncodersService } from '../encoders/encoders.service.js';
import { JobQueue } from '../queue/job-queue.js';
import { type EvaluationKind, parseEvaluationSettings } from './evaluation-settings.js';
import { type EvaluationRecord, EvaluationsRepository } from './evaluations.repository.js';

export interface CreateEvaluationInput {
  datasetId: string;
  kind: EvaluationKind;
  settings?: Record<string, unknown> | undefined;
}

@Injectable()
export class EvaluationsService {
  constructor(
    private readonly evaluations: EvaluationsRepository,
    private readonly encoders: EncodersService,
    private readonly datasets: DatasetsRepository,
    private readonly queue: JobQueue,
  ) {}

  /** Scores a team's encoder on one of its labelled READY datasets, in the background on a worker. */
  async create(teamId: string, encoderId: string, input: CreateEvaluationInput): Promise<EvaluationRecord> {
    const encoder = await this.encoders.get(teamId, encoderId);
    const dataset = await this.datasets.findReadyOwn(teamId, input.datasetId, 'evaluations need a READY dataset');
    if (dataset.labels.length < 2) {
      throw new AppError(
        'PRECONDITION_FAILED',
        `Dataset ${dataset.id} has ${dataset.labels.length} class(es); an evaluation needs a labelled dataset with at least 2`,
        'datasetId',
      );
    }
    const settings = parseEvaluationSettings(input.kind, input.settings);
    const evaluation = await this.evaluations.create({
      id: newId(),
      teamId,
      encoderId: encoder.id,
      datasetId: dataset.id,
      kind: input.kind,
      settings,
    });
    await this.queue.send('evaluate', { evaluationId: evaluation.id });
    return evaluation;
  }

  async get(teamId: string, id: string): Promise<EvaluationRecord> {
    const evaluation = isId(id) ? await this.evaluations.findOwn(teamId, id) : null;
    if (evaluation === null) throw notFound('Evaluation', id);
    return evaluation;
  }
}
