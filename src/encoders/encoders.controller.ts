import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { CursorPageQuery } from '../common/page-queries.js';
import { Caller } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { EncodersService } from './encoders.service.js';
import { encoderView } from './encoders.views.js';

export class ListEncodersQuery extends CursorPageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID('all', { message: 'jobId must be a job id' })
  jobId?: string;
}

@ApiTags('encoders')
@ApiBearerAuth()
@Controller('v1/encoders')
export class EncodersController {
  constructor(private readonly encoders: EncodersService) {}

  @Get()
  async list(@Caller() caller: Principal, @Query() query: ListEncodersQuery) {
    const limit = query.limit ?? 50;
    const rows = await this.encoders.list(caller.teamId, { jobId: query.jobId, cursor: query.cursor, limit });
    return { encoders: rows.map(encoderView), nextCursor: rows.length === limit ? (rows.at(-1)?.id ?? null) : null };
  }

  @Get(':id')
  async get(@Caller() caller: Principal, @Param('id') id: string) {
    return encoderView(await this.encoders.get(caller.teamId, id));
  }

  /** Removes the encoder, its evaluations and its file. WRITE scope. */
  @Delete(':id')
  @HttpCode(204)
  async delete(@Caller() caller: Principal, @Param('id') id: string): Promise<void> {
    await this.encoders.delete(caller.teamId, id);
  }

  @Get(':id/download')
  async download(@Caller() caller: Principal, @Param('id') id: string) {
    return { url: await this.encoders.downloadUrl(caller.teamId, id), expiresInSeconds: 3600 };
  }
}
