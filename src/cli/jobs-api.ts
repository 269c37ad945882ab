import { ApiError, type HttpClient, isRetryable, NetworkError } from './http-client.js';

/** The REST shapes of jobs and encoders the CLI reads, declared here so the CLI never imports server code. */
export type JobStatus = 'QUEUED' | 'RUNNING' | 'CANCELLING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export const TERMINAL_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface MetricRow {
  step: number;
  epoch: number;
  loss: number;
  lossContrastive: number;
  lossDdm: number;
  top1: number | null;
  learningRate: number;
  imagesPerSecond: number;
  dataWaitFraction: number;
}

export interface JobAttempt {
  number: number;
  status: string;
  workerId: string;
  backend: string | null;
  startStep: number;
  endStep: number | null;
  error: string | null;
  startedAt: string;
  endedAt: string | null;
}

export interface Job {
  id: string;
  name: string | null;
  datasetId: string | null;
  status: JobStatus;
  preset: string;
  config: Record<string, unknown>;
  priority: number;
  accelerator: 'CPU' | 'GPU';
  checkpointEvery: number;
  maxAttempts: number;
  attemptCount: number;
  progress: { step: number; totalSteps: number; epoch: number; fraction: number; etaSeconds: number | null };
  latestMetrics: Partial<MetricRow> | null;
  backend: string | null;
  workerId: string | null;
  failureReason: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts?: JobAttempt[];
}

/** One entry of a job's event log; `data` holds `status`, `metrics` or a checkpoint's `step`, by type. */
export interface JobEvent {
  id: string;
  type: string;
  message: string;
  data: { status?: JobStatus; error?: string; metrics?: MetricRow[]; step?: number; sizeBytes?: number } | null;
  createdAt: string;
}

export interface JobPreset {
  name: string;
  description: string;
  accelerator: 'CPU' | 'GPU';
  checkpointEvery: number;
  config: Record<string, unknown>;
}

export interface NewJob {
  datasetId: string;
  name?: string;
  preset?: string;
  config?: Record<string, unknown>;
  priority?: number;
  accelerator?: 'CPU' | 'GPU';
  checkpointEvery?: number;
  maxAttempts?: number;
}

export interface Evaluation {
  id: string;
  kind: string;
  status: string;
  datasetId: string | null;
  top1: number | null;
  failureReason: string | null;
}

export interface Encoder {
  id: string;
  name: string | null;
  jobId: string | null;
  datasetId: string | null;
  architecture: string;
  embeddingDim: number;
  inputSize: number;
  sizeBytes: number;
  createdAt: string;
  evaluations: Evaluation[];
}

// A type, not an interface: a query must have an index signature.
export type Page = { cursor?: string; limit?: number };

/** What an event-stream request needs beyond the JSON client: the key and fetch it sends with. */
export interface StreamAccess {
  apiKey: string;
  fetchFn: typeof fetch;
}

const enc = encodeURIComponent;

/** One method per job route the CLI uses. */
export class JobsApi {
  constructor(
    readonly http: HttpClient,
    private readonly stream: StreamAccess,
  ) {}

  create(body: NewJob, idempotencyKey?: string): Promise<Job> {
    const headers = idempotencyKey === undefined ? undefined : { 'idempotency-key': idempotencyKey };
    return this.http.request('POST', '/v1/jobs', { json: body, ...(headers ? { headers } : {}) });
  }

  list(query: Page & { status?: string; datasetId?: string }): Promise<{ jobs: Job[]; nextCursor: string | null }> {
    return this.http.request('GET', '/v1/jobs', { query });
  }

  get(id: string): Promise<Job> {
    return this.http.request('GET', `/v1/jobs/${enc(id)}`);
  }

  cancel(id: string): Promise<Job> {
    return this.http.request('POST', `/v1/jobs/${enc(id)}/cancel`);
  }

  presets(): Promise<{ presets: JobPreset[] }> {
    return this.http.request('GET', '/v1/jobs/presets');
  }

  events(id: string, after: string, limit = 1000): Promise<{ events: JobEvent[] }> {
    return this.http.request('GET', `/v1/jobs/${enc(id)}/events`, { query: { after, limit } });
  }

  /**
   * Opens `GET /v1/jobs/:id/events?follow=true` as Server-Sent Events, resuming after
   * `lastEventId`. Null when the server answers without an event stream (a server that cannot
   * follow): the caller then polls `events`, which reports any API error in the usual way.
   */
  async openEvents(id: string, lastEventId: string | undefined): Promise<ReadableStream<Uint8Array> | null> {
    const url = `${this.http.baseUrl}/v1/jobs/${enc(id)}/events?follow=true`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.stream.apiKey}`,
      accept: 'text/event-stream',
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
    };
    let response: Response;
    try {
      response = await this.stream.fetchFn(url, { headers });
    } catch (error) {
      throw new NetworkError(url, error);
    }
    const type = response.headers.get('content-type') ?? '';
    if (response.ok && type.startsWith('text/event-stream') && response.body !== null) return response.body;
    await response.body?.cancel();
    const error = new ApiError(
      response.status,
      `HTTP_${response.status}`,
      response.statusText || 'event stream refused',
    );
    if (isRetryable(error)) throw error;
    return null;
  }
}

/** One method per encoder route the CLI uses. */
export class EncodersApi {
  constructor(readonly http: HttpClient) {}

  list(query: Page & { jobId?: string }): Promise<{ encoders: Encoder[]; nextCursor: string | null }> {
    return this.http.request('GET', '/v1/encoders', { query });
  }

  get(id: string): Promise<Encoder> {
    return this.http.request('GET', `/v1/encoders/${enc(id)}`);
  }

  downloadUrl(id: string): Promise<{ url: string; expiresInSeconds: number }> {
    return this.http.request('GET', `/v1/encoders/${enc(id)}/download`);
  }
}
