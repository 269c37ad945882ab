import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsUUID } from 'class-validator';
import { Caller } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { CursorPageQuery } from '../common/page-queries.js';
import type { ExportStatus } from './exports.repository.js';
import { ExportsService } from './exports.service.js';
import { exportView } from './exports.views.js';

const statuses = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;

export class CreateExportDto {
  @ApiProperty({ description: 'A READY dataset of your team; every image is embedded, in its stored order' })
  @IsUUID('all', { message: 'datasetId must be a dataset id (a UUID)' })
  datasetId!: string;

  @ApiPropertyOptional({ default: false, description: 'Scale each embedding to unit L2 norm' })
  @IsOptional()
  @IsBoolean({ message: 'normalize must be true or false' })
  normalize?: boolean;
}

export class ListExportsQuery extends CursorPageQuery {
  @ApiPropertyOptional({ description: 'only exports of this encoder' })
  @IsOptional()
  @IsUUID('all', { message: 'encoderId must be an encoder id (a UUID)' })
  encoderId?: string;

  @ApiPropertyOptional({ enum: statuses })
  @IsOptional()
  @IsIn(statuses, { message: `status must be one of ${statuses.join(', ')}` })
  status?: ExportStatus;
}

@ApiTags('exports')
@ApiBearerAuth()
@Controller('v1')
export class ExportsController {
  constructor(private readonly exports: ExportsService) {}

  /** 202: the export is QUEUED; a worker embeds the dataset (follow it with GET /v1/exports/{id}). */
  @Post('encoders/:id/exports')
  @HttpCode(202)
  async create(@Caller() caller: Principal, @Param('id') encoderId: string, @Body() body: CreateExportDto) {
    return exportView(await this.exports.create(caller.teamId, encoderId, body));
  }

  @Get('exports')
  async list(@Caller() caller: Principal, @Query() query: ListExportsQuery) {
    const limit = query.limit ?? 50;
    const rows = await this.exports.list(caller.teamId, { ...query, limit });
    return {
      exports: rows.map((e) => exportView(e)),
      nextCursor: rows.length === limit ? (rows.at(-1)?.id ?? null) : null,
    };
  }

  @Get('exports/:id')
  async get(@Caller() caller: Principal, @Param('id') id: string) {
    const { record, downloads } = await this.exports.getWithDownloads(caller.teamId, id);
    return exportView(record, downloads);
  }
}
