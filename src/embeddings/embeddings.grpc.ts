import type { ServerDuplexStream } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall, Payload } from '@nestjs/microservices';
import { ApiKeysService } from '../auth/api-keys.service.js';
import { Caller, Public, RequiredScope } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { grpcStatusOf } from '../common/grpc-status.js';
import type { Logger } from '../common/logger.js';
import { LOGGER } from '../common/logger.module.js';
import { grpcRequestId } from '../common/request-id.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { EmbedStream } from './embed-stream.js';
import {
  embedResponse,
  type EmbedRequestMessage,
  type EmbedStreamRequestMessage,
  inputOf,
} from './embedding-messages.js';
import { EmbeddingsService } from './embeddings.service.js';

type StreamCall = ServerDuplexStream<EmbedStreamRequestMessage, unknown>;

/** clsa.v1.EmbeddingService: the same EmbeddingsService as the REST face. */
@Controller()
export class EmbeddingsGrpc {
  constructor(
    private readonly embeddings: EmbeddingsService,
    private readonly apiKeys: ApiKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @GrpcMethod('EmbeddingService', 'Embed')
  @RequiredScope('READ')
  async embed(@Payload() request: EmbedRequestMessage, @Caller() caller: Principal) {
    const inputs = (request.inputs ?? []).map((input, i) => inputOf(input, `inputs[${i}]`));
    const result = await this.embeddings.embed(caller.teamId, request.encoderId ?? '', inputs, {
      normalize: request.normalize === true,
      transport: 'grpc',
    });
    return embedResponse(result);
  }

  /**
   * A @GrpcStreamCall handler gets the raw call (see DatasetsGrpc.uploadArchive): it is @Public()
   * to the guard, authenticates the call itself and ends it with the filter's status shape.
   */
  @GrpcStreamCall('EmbeddingService', 'EmbedStream')
  @Public()
  embedStream(call: StreamCall): void {
    this.apiKeys.authorize(call.metadata.get('authorization')[0], 'READ').then(
      (caller) => {
        const onUnexpected = (err: unknown) =>
          this.logger.error({ err, requestId: grpcRequestId(call.metadata) }, 'embedding a stream message failed');
        new EmbedStream(
          call,
          caller.teamId,
          this.embeddings,
          this.config.embeddings.maxBatch * 2,
          onUnexpected,
        ).start();
      },
      (error: unknown) => call.emit('error', this.statusOf(error, call)),
    );
  }

  private statusOf(error: unknown, call: StreamCall) {
    const requestId = grpcRequestId(call.metadata);
    if (error instanceof AppError) return grpcStatusOf(error, requestId);
    this.logger.error({ err: error, requestId }, 'unhandled error');
    return grpcStatusOf(new AppError('INTERNAL', `Internal error; quote request id ${requestId}`), requestId);
  }
}
