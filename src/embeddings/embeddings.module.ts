import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DatasetsModule } from '../datasets/datasets.module.js';
import { EncodersModule } from '../encoders/encoders.module.js';
import { EncodersService } from '../encoders/encoders.service.js';
import { EmbeddingEngine } from './embedding-engine.js';
import { EmbeddingMetrics } from './embedding-metrics.js';
import { EmbeddingRequestReader } from './embedding-request.js';
import { EmbeddingsController } from './embeddings.controller.js';
import { EmbeddingsGrpc } from './embeddings.grpc.js';
import { EmbeddingsService } from './embeddings.service.js';

/** Online embeddings of the team's encoders over REST and gRPC (clsa.v1.EmbeddingService). */
@Module({
  imports: [AuthModule, DatasetsModule, EncodersModule],
  controllers: [EmbeddingsController, EmbeddingsGrpc],
  providers: [EmbeddingEngine, EmbeddingMetrics, EmbeddingsService, EmbeddingRequestReader],
})
export class EmbeddingsModule {
  constructor(encoders: EncodersService, engine: EmbeddingEngine) {
    // A deleted encoder leaves memory with its row.
    encoders.onDeleted((id) => engine.unload(id));
  }
}
