import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DatasetArchivesRepository } from './dataset-archives.repository.js';
import { DatasetImages } from './dataset-images.js';
import { DatasetQuota } from './dataset-quota.js';
import { DatasetUploadSessionsService } from './dataset-upload-sessions.service.js';
import { DatasetUploadsController } from './dataset-uploads.controller.js';
import { DatasetUploadsService } from './dataset-uploads.service.js';
import { DatasetValidationHandler } from './dataset-validation.handler.js';
import { DatasetsController } from './datasets.controller.js';
import { DatasetsGrpc } from './datasets.grpc.js';
import { DatasetsRepository } from './datasets.repository.js';
import { DatasetsService } from './datasets.service.js';
import { UploadSweepHandler } from './upload-sweep.handler.js';

@Module({
  imports: [AuthModule],
  controllers: [DatasetsController, DatasetUploadsController, DatasetsGrpc],
  providers: [
    DatasetsRepository,
    DatasetArchivesRepository,
    DatasetQuota,
    DatasetImages,
    DatasetsService,
    DatasetUploadsService,
    DatasetUploadSessionsService,
    DatasetValidationHandler,
    UploadSweepHandler,
  ],
  exports: [DatasetsRepository, DatasetImages],
})
export class DatasetsModule {}
