import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Caller } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { DatasetImages } from './dataset-images.js';
import { CreateDatasetDto, ListDatasetsQuery, PageQuery } from './datasets.dto.js';
import { DatasetsService } from './datasets.service.js';
import { eventView } from '../common/event-view.js';
import { datasetView } from './datasets.views.js';

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('v1/datasets')
export class DatasetsController {
  constructor(
    private readonly datasets: DatasetsService,
    private readonly images: DatasetImages,
  ) {}

  @Post()
  async create(@Caller() caller: Principal, @Body() body: CreateDatasetDto) {
    return datasetView(await this.datasets.create(caller.teamId, body));
  }

  @Get()
  async list(@Caller() caller: Principal, @Query() query: ListDatasetsQuery) {
    const limit = query.limit ?? 50;
    const rows = await this.datasets.list(caller.teamId, {
      status: query.status,
      layout: query.layout,
      createdAfter: query.createdAfter !== undefined ? new Date(query.createdAfter) : undefined,
      createdBefore: query.createdBefore !== undefined ? new Date(query.createdBefore) : undefined,
      cursor: query.cursor,
      limit,
    });
    return { datasets: rows.map(datasetView), nextCursor: rows.length === limit ? (rows.at(-1)?.id ?? null) : null };
  }

  @Get(':id')
  async get(@Caller() caller: Principal, @Param('id') id: string) {
    return datasetView(await this.datasets.get(caller.teamId, id));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() caller: Principal, @Param('id') id: string) {
    await this.datasets.delete(caller.teamId, id);
  }

  /** All archives are in: validate them (in the background) and make the dataset READY or FAILED. */
  @Post(':id/complete')
  @HttpCode(202)
  async complete(@Caller() caller: Principal, @Param('id') id: string) {
    return datasetView(await this.datasets.complete(caller.teamId, id));
  }

  @Get(':id/events')
  async events(@Caller() caller: Principal, @Param('id') id: string, @Query() page: PageQuery) {
    const events = await this.datasets.events(caller.teamId, id, BigInt(page.after ?? '0'), page.limit ?? 100);
    return { events: events.map(eventView) };
  }

  @Get(':id/rejected-files')
  async rejected(@Caller() caller: Principal, @Param('id') id: string, @Query() page: PageQuery) {
    const files = await this.datasets.rejectedFiles(caller.teamId, id, BigInt(page.after ?? '0'), page.limit ?? 100);
    return { rejectedFiles: files.map((f) => ({ ...f, id: f.id.toString() })) };
  }

  @Get(':id/samples')
  async samples(@Caller() caller: Principal, @Param('id') id: string) {
    return { samples: await this.datasets.samples(caller.teamId, id) };
  }

  /**
   * One sample's image as stored in the dataset's shards (the bytes validation accepted), by its
   * key (as exports' manifests and `{datasetId, key}` embedding inputs name it). READY datasets
   * never change, so the answer may be cached privately.
   */
  @Get(':id/images/:key')
  @ApiProduces('image/jpeg', 'image/png', 'image/webp')
  async image(
    @Caller() caller: Principal,
    @Param('id') id: string,
    @Param('key') key: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const image = await this.images.readImage(caller.teamId, { datasetId: id, key });
    void reply.header('content-type', image.contentType).header('cache-control', 'private, max-age=3600');
    return image.bytes;
  }
}
