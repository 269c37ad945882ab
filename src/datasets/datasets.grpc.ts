import type { Metadata, StatusObject } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall, Payload } from '@nestjs/microservices';
import { Transform } from 'class-transformer';
import { IsString } from 'class-validator';
import { ApiKeysService } from '../auth/api-keys.service.js';
import { Caller, Public, RequiredScope } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { grpcStatusOf } from '../common/grpc-status.js';
import { toOptionalTimestamp, toTimestamp } from '../common/grpc-timestamp.js';
import type { Logger } from '../common/logger.js';
import { LOGGER } from '../common/logger.module.js';
import { grpcRequestId } from '../common/request-id.js';
import type { ArchiveRecord } from './dataset-archives.repository.js';
import { archiveStream, type UploadCall } from './grpc-archive-stream.js';
import { DatasetUploadSessionsService, type SessionView } from './dataset-upload-sessions.service.js';
import { DatasetUploadsService } from './dataset-uploads.service.js';
import { CreateDatasetDto, CreateUploadSessionDto, ListDatasetsQuery, PageQuery } from './datasets.dto.js';
import type { DatasetEventRecord, DatasetRecord } from './datasets.repository.js';
import { DatasetsService } from './datasets.service.js';

/** int64 fields arrive as decimal strings (loader option longs: String); the DTO rules check numbers. */
const int64 = ({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value);

/** gRPC carries the dataset id in the message; the paging rules are REST's. */
class DatasetPageRequest extends PageQuery {
  @IsString()
  datasetId!: string;
}

class CreateUploadSessionRequest extends CreateUploadSessionDto {
  @IsString()
  datasetId!: string;

  // The inherited rules stay; only the string-to-number step is added.
  @Transform(int64)
  override sizeBytes = 0;

  @Transform(int64)
  override partSizeBytes?: number = undefined;
}

interface UploadSessionRequest {
  datasetId: string;
  uploadId: string;
}

/** An interface, not grpc-js's function type, so the global ValidationPipe leaves the argument alone. */
interface UploadReply {
  (error: Partial<StatusObject> | null, value?: ReturnType<typeof archiveMessage>): void;
}

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

function datasetMessage(d: DatasetRecord) {
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    layout: d.layout,
    status: d.status,
    sizeBytes: d.sizeBytes.toString(),
    imageCount: d.imageCount,
    rejectedCount: d.rejectedCount,
    classCount: d.labels.length,
    labels: d.labels,
    summaryJson: json(d.summary),
    failureReason: d.failureReason,
    createdAt: toTimestamp(d.createdAt),
    updatedAt: toTimestamp(d.updatedAt),
    readyAt: toOptionalTimestamp(d.readyAt),
  };
}

function archiveMessage(a: ArchiveRecord) {
  return {
    id: a.id,
    fileName: a.fileName,
    status: a.status,
    sizeBytes: a.sizeBytes?.toString() ?? null,
    sha256: a.sha256,
    createdAt: toTimestamp(a.createdAt),
    uploadedAt: toOptionalTimestamp(a.uploadedAt),
    expiresAt: toOptionalTimestamp(a.expiresAt),
  };
}

function sessionMessage(s: SessionView) {
  return {
    upload: archiveMessage(s.archive),
    partSizeBytes: String(s.archive.partSizeBytes ?? 0),
    partCount: s.partCount,
    parts: (s.parts ?? []).map((p) => ({ ...p, size: String(p.size) })),
    received: (s.received ?? []).map((p) => ({ ...p, size: String(p.size) })),
    missing: s.missing ?? [],
  };
}

function eventMessage(e: DatasetEventRecord) {
  return {
    id: e.id.toString(),
    type: e.type,
    message: e.message,
    dataJson: json(e.data),
    createdAt: toTimestamp(e.createdAt),
  };
}

/** clsa.v1.DatasetService: the same services as the REST face. */
@Controller()
export class DatasetsGrpc {
  constructor(
    private readonly datasets: DatasetsService,
    private readonly uploads: DatasetUploadsService,
    private readonly sessions: DatasetUploadSessionsService,
    private readonly apiKeys: ApiKeysService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @GrpcMethod('DatasetService', 'CreateDataset')
  async createDataset(@Payload() request: CreateDatasetDto, @Caller() caller: Principal) {
    return datasetMessage(await this.datasets.create(caller.teamId, request));
  }

  @GrpcMethod('DatasetService', 'GetDataset')
  @RequiredScope('READ')
  async getDataset(@Payload() request: { id: string }, @Caller() caller: Principal) {
    return datasetMessage(await this.datasets.get(caller.teamId, request.id));
  }

  @GrpcMethod('DatasetService', 'ListDatasets')
  @RequiredScope('READ')
  async listDatasets(@Payload() request: ListDatasetsQuery, @Caller() caller: Principal) {
    const limit = request.limit ?? 50;
    const { status, layout, cursor } = request;
    const rows = await this.datasets.list(caller.teamId, { status, layout, cursor, limit });
    return { datasets: rows.map(datasetMessage), nextCursor: rows.length === limit ? rows.at(-1)?.id : undefined };
  }

  @GrpcMethod('DatasetService', 'DeleteDataset')
  async deleteDataset(@Payload() request: { id: string }, @Caller() caller: Principal) {
    await this.datasets.delete(caller.teamId, request.id);
    return {};
  }

  @GrpcMethod('DatasetService', 'CompleteDataset')
  async completeDataset(@Payload() request: { id: string }, @Caller() caller: Principal) {
    return datasetMessage(await this.datasets.complete(caller.teamId, request.id));
  }

  @GrpcMethod('DatasetService', 'ListDatasetEvents')
  @RequiredScope('READ')
  async listDatasetEvents(@Payload() request: DatasetPageRequest, @Caller() caller: Principal) {
    const { datasetId, after, limit } = request;
    const events = await this.datasets.events(caller.teamId, datasetId, BigInt(after ?? '0'), limit ?? 100);
    return { events: events.map(eventMessage) };
  }

  @GrpcMethod('DatasetService', 'ListRejectedFiles')
  @RequiredScope('READ')
  async listRejectedFiles(@Payload() request: DatasetPageRequest, @Caller() caller: Principal) {
    const { datasetId, after, limit } = request;
    const files = await this.datasets.rejectedFiles(caller.teamId, datasetId, BigInt(after ?? '0'), limit ?? 100);
    return { rejectedFiles: files.map((f) => ({ ...f, id: f.id.toString() })) };
  }

  /**
   * Nest hands a @GrpcStreamCall handler the raw call and callback: the global guard cannot read
   * its metadata and a filter's answer never reaches the callback. So this handler is @Public()
   * to the guard, authenticates the call itself, answers every error through the callback in the
   * filter's shape, and never rejects (a rejection here would be an unhandled one).
   */
  @GrpcStreamCall('DatasetService', 'UploadArchive')
  @Public()
  uploadArchive(call: UploadCall, reply: UploadReply): Promise<void> {
    // A cancelled call has no one to answer; the upload has discarded what it stored.
    return this.streamArchive(call).then(
      (archive) => {
        if (!call.cancelled) reply(null, archiveMessage(archive));
      },
      (error: unknown) => {
        if (!call.cancelled) reply(this.statusOf(error, call.metadata));
      },
    );
  }

  private async streamArchive(call: UploadCall): Promise<ArchiveRecord> {
    const caller = await this.authenticate(call.metadata);
    const { header, body } = await archiveStream(call);
    try {
      return await this.uploads.upload(caller.teamId, header.datasetId, {
        fileName: header.fileName,
        body,
        expectedSha256: header.sha256,
        declaredBytes: header.sizeBytes,
      });
    } finally {
      // Refused before the bytes were read (unknown dataset, bad name): stop listening to the call.
      body.destroy();
    }
  }

  /** What the global AuthGuard does for unary calls, for the stream call's metadata: a key with WRITE. */
  private authenticate(metadata: Metadata): Promise<Principal> {
    return this.apiKeys.authorize(metadata.get('authorization')[0], 'WRITE');
  }

  private statusOf(error: unknown, metadata: Metadata): Partial<StatusObject> {
    const requestId = grpcRequestId(metadata);
    if (error instanceof AppError) return grpcStatusOf(error, requestId);
    this.logger.error({ err: error, requestId }, 'unhandled error');
    return grpcStatusOf(
      new AppError('INTERNAL', `Internal error; quote request id ${requestId} when reporting it`),
      requestId,
    );
  }

  @GrpcMethod('DatasetService', 'CreateUploadSession')
  async createUploadSession(@Payload() request: CreateUploadSessionRequest, @Caller() caller: Principal) {
    return sessionMessage(await this.sessions.create(caller.teamId, request.datasetId, request));
  }

  @GrpcMethod('DatasetService', 'GetUploadSession')
  @RequiredScope('READ')
  async getUploadSession(@Payload() request: UploadSessionRequest, @Caller() caller: Principal) {
    return sessionMessage(await this.sessions.status(caller.teamId, request.datasetId, request.uploadId));
  }

  @GrpcMethod('DatasetService', 'CompleteUploadSession')
  async completeUploadSession(@Payload() request: UploadSessionRequest, @Caller() caller: Principal) {
    return archiveMessage(await this.sessions.complete(caller.teamId, request.datasetId, request.uploadId));
  }

  @GrpcMethod('DatasetService', 'AbortUploadSession')
  async abortUploadSession(@Payload() request: UploadSessionRequest, @Caller() caller: Principal) {
    await this.sessions.abort(caller.teamId, request.datasetId, request.uploadId);
    return {};
  }
}
