import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Caller } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { JOB_PRESETS } from './job-presets.js';
import { CreateJobDto, IDEMPOTENCY_KEY, ListJobsQuery, MetricsQuery } from './jobs.dto.js';
import { JobsService } from './jobs.service.js';
import { checkpointView, jobView, metricView } from './jobs.views.js';

/** Also the rule of the gRPC face's idempotency_key. */

/** Jobs themselves; their events (a JSON page or a live stream) are JobEventsController's. */
@ApiTags('jobs')
@ApiBearerAuth()
@Controller('v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key and body → the same job; other body → 409',
  })
  async create(
    @Caller() caller: Principal,
    @Body() body: CreateJobDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new AppError(
        'VALIDATION_FAILED',
        'Idempotency-Key must be 1–200 printable ASCII characters',
        'Idempotency-Key',
      );
    }
    const { job, created } = await this.jobs.create(caller.teamId, body, key);
    void reply.status(created ? 201 : 200);
    return jobView(job);
  }

  @Get('presets')
  presets() {
    return {
      presets: Object.entries(JOB_PRESETS).map(([name, p]) => ({
        name,
        description: p.description,
        accelerator: p.accelerator,
        checkpointEvery: p.checkpointEvery,
        config: p.config,
      })),
    };
  }

  @Get()
  async list(@Caller() caller: Principal, @Query() query: ListJobsQuery) {
    const limit = query.limit ?? 50;
    const rows = await this.jobs.list(caller.teamId, {
      status: query.status,
      datasetId: query.datasetId,
      createdAfter: query.createdAfter !== undefined ? new Date(query.createdAfter) : undefined,
      createdBefore: query.createdBefore !== undefined ? new Date(query.createdBefore) : undefined,
      cursor: query.cursor,
      limit,
    });
    return { jobs: rows.map((j) => jobView(j)), nextCursor: rows.length === limit ? (rows.at(-1)?.id ?? null) : null };
  }

  @Get(':id')
  async get(@Caller() caller: Principal, @Param('id') id: string) {
    const job = await this.jobs.detail(caller.teamId, id);
    return jobView(job, job.attempts);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  async cancel(@Caller() caller: Principal, @Param('id') id: string) {
    return jobView(await this.jobs.cancel(caller.teamId, id));
  }

  @Get(':id/metrics')
  async metrics(@Caller() caller: Principal, @Param('id') id: string, @Query() query: MetricsQuery) {
    const rows = await this.jobs.metrics(caller.teamId, id, query.afterStep ?? 0, query.limit ?? 1000);
    return { metrics: rows.map(metricView) };
  }

  @Get(':id/checkpoints')
  async checkpoints(@Caller() caller: Principal, @Param('id') id: string) {
    return { checkpoints: (await this.jobs.checkpoints(caller.teamId, id)).map(checkpointView) };
  }
}
