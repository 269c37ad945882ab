import { Controller } from '@nestjs/common';
import { GrpcMethod, Payload } from '@nestjs/microservices';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Matches } from 'class-validator';
import { Observable } from 'rxjs';
import { Caller, RequiredScope } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { type GrpcTimestamp, toOptionalTimestamp, toTimestamp } from '../common/grpc-timestamp.js';
import { PageQuery } from '../datasets/datasets.dto.js';
import { JobEventFeed } from './job-event-feed.js';
import { CreateJobDto, IDEMPOTENCY_KEY, ListJobsQuery, MetricsQuery } from './jobs.dto.js';
import type { JobAttemptRecord, JobEventRecord, JobMetricRecord, JobRecord } from './jobs.repository.js';
import { JobsService } from './jobs.service.js';
import { jobView } from './jobs.views.js';
import { fromStruct, toStruct } from '../common/grpc-struct.js';

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalStruct = (v: unknown) => (isObject(v) ? toStruct(v) : undefined);

/** Struct in, plain object out, before the DTO's own rules run: REST's body and this message validate alike. */
const plainObject = ({ value }: { value: unknown }) => (isObject(value) ? fromStruct(value) : value);
/** Timestamp in, ISO 8601 out, for ListJobsQuery's rules. */
const isoTime = ({ value }: { value: unknown }) => {
  if (!isObject(value)) return value;
  const { seconds, nanos } = value as Partial<GrpcTimestamp>;
  return new Date(Number(seconds ?? 0) * 1000 + Math.floor((nanos ?? 0) / 1e6)).toISOString();
};

class CreateJobRequest extends CreateJobDto {
  @Transform(plainObject)
  override config?: Record<string, unknown> = undefined;

  @IsOptional()
  @Matches(IDEMPOTENCY_KEY, { message: 'idempotencyKey must be 1–200 printable ASCII characters' })
  idempotencyKey?: string;
}

class ListJobsRequest extends ListJobsQuery {
  @Transform(isoTime)
  override createdAfter?: string = undefined;

  @Transform(isoTime)
  override createdBefore?: string = undefined;
}

class JobEventsRequest extends PageQuery {
  @IsString()
  jobId!: string;
}

class JobMetricsRequest extends MetricsQuery {
  @IsString()
  jobId!: string;
}

class WatchJobRequest {
  @IsString()
  jobId!: string;

  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'afterEventId must be a non-negative whole number' })
  afterEventId?: string;
}

function metricMessage(m: Partial<JobMetricRecord>) {
  return { ...m, createdAt: m.createdAt === undefined ? undefined : toTimestamp(m.createdAt) };
}

function attemptMessage(a: JobAttemptRecord) {
  return { ...a, startedAt: toTimestamp(a.startedAt), endedAt: toOptionalTimestamp(a.endedAt) };
}

/** REST's view of the job, with Timestamps and Structs where the view has ISO strings and JSON. */
function jobMessage(job: JobRecord, attempts: JobAttemptRecord[] = []) {
  const view = jobView(job);
  return {
    ...view,
    config: optionalStruct(job.config),
    lineage: optionalStruct(job.lineage),
    progress: { ...view.progress, etaSeconds: view.progress.etaSeconds ?? undefined },
    latestMetrics: isObject(job.latestMetrics)
      ? metricMessage(job.latestMetrics as Partial<JobMetricRecord>)
      : undefined,
    heartbeatAt: toOptionalTimestamp(job.heartbeatAt),
    cancelRequestedAt: toOptionalTimestamp(job.cancelRequestedAt),
    createdAt: toTimestamp(job.createdAt),
    updatedAt: toTimestamp(job.updatedAt),
    startedAt: toOptionalTimestamp(job.startedAt),
    finishedAt: toOptionalTimestamp(job.finishedAt),
    attempts: attempts.map(attemptMessage),
  };
}

function eventMessage(e: JobEventRecord) {
  const { id, type, message, data, createdAt } = e;
  return { id: id.toString(), type, message, data: optionalStruct(data), createdAt: toTimestamp(createdAt) };
}

/** clsa.v1.JobService: the same JobsService as the REST face, and the same event feed as its SSE stream. */
@Controller()
export class JobsGrpc {
  constructor(
    private readonly jobs: JobsService,
    private readonly feed: JobEventFeed,
  ) {}

  @GrpcMethod('JobService', 'CreateJob')
  async createJob(@Payload() request: CreateJobRequest, @Caller() caller: Principal) {
    const { idempotencyKey, ...input } = request;
    return jobMessage((await this.jobs.create(caller.teamId, input, idempotencyKey)).job);
  }

  @GrpcMethod('JobService', 'GetJob')
  @RequiredScope('READ')
  async getJob(@Payload() request: { id: string }, @Caller() caller: Principal) {
    const job = await this.jobs.detail(caller.teamId, request.id);
    return jobMessage(job, job.attempts);
  }

  @GrpcMethod('JobService', 'ListJobs')
  @RequiredScope('READ')
  async listJobs(@Payload() request: ListJobsRequest, @Caller() caller: Principal) {
    const limit = request.limit ?? 50;
    const { status, datasetId, cursor, createdAfter, createdBefore } = request;
    const rows = await this.jobs.list(caller.teamId, {
      status,
      datasetId,
      cursor,
      createdAfter: createdAfter === undefined ? undefined : new Date(createdAfter),
      createdBefore: createdBefore === undefined ? undefined : new Date(createdBefore),
      limit,
    });
    return { jobs: rows.map((j) => jobMessage(j)), nextCursor: rows.length === limit ? rows.at(-1)?.id : undefined };
  }

  @GrpcMethod('JobService', 'CancelJob')
  async cancelJob(@Payload() request: { id: string }, @Caller() caller: Principal) {
    return jobMessage(await this.jobs.cancel(caller.teamId, request.id));
  }

  @GrpcMethod('JobService', 'ListJobEvents')
  @RequiredScope('READ')
  async listJobEvents(@Payload() request: JobEventsRequest, @Caller() caller: Principal) {
    const events = await this.jobs.events(
      caller.teamId,
      request.jobId,
      BigInt(request.after ?? '0'),
      request.limit ?? 100,
    );
    return { events: events.map(eventMessage) };
  }

  @GrpcMethod('JobService', 'ListJobMetrics')
  @RequiredScope('READ')
  async listJobMetrics(@Payload() request: JobMetricsRequest, @Caller() caller: Principal) {
    const { jobId, afterStep, limit } = request;
    const rows = await this.jobs.metrics(caller.teamId, jobId, afterStep ?? 0, limit ?? 1000);
    return { metrics: rows.map(metricMessage) };
  }

  /** Server streaming: Nest writes what the Observable emits and unsubscribes when the client cancels. */
  @GrpcMethod('JobService', 'WatchJob')
  @RequiredScope('READ')
  async watchJob(@Payload() request: WatchJobRequest, @Caller() caller: Principal) {
    const cancelled = new AbortController();
    const after = BigInt(request.afterEventId ?? '0');
    const events = await this.feed.follow(caller.teamId, request.jobId, after, cancelled.signal);
    return new Observable<ReturnType<typeof eventMessage>>((subscriber) => {
      const send = async () => {
        for await (const event of events) {
          if (subscriber.closed) return;
          if (event !== null) subscriber.next(eventMessage(event));
        }
      };
      send().then(
        () => subscriber.complete(),
        (error: unknown) => subscriber.error(error),
      );
      return () => cancelled.abort();
    });
  }
}
