import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DatasetsModule } from '../datasets/datasets.module.js';
import { JobAttemptsRepository } from './job-attempts.repository.js';
import { JobReconciler } from './job-reconciler.js';
import { JobsController } from './jobs.controller.js';
import { JobsRepository } from './jobs.repository.js';
import { JobsService } from './jobs.service.js';

@Module({
  imports: [AuthModule, DatasetsModule],
  controllers: [JobsController],
  providers: [JobsRepository, JobAttemptsRepository, JobsService, JobReconciler],
  exports: [JobsService],
})
export class JobsModule {}
