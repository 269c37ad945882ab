import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { Caller } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { EncodersService } from './encoders.service.js';
import { encoderView } from './encoders.views.js';

export class ListEncodersQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID('all', { message: 'jobId must be a job id' })
  jobId?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsUUID('all', { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(200)
  limit?: number;
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

  @Get(':id/download')
  async download(@Caller() caller: Principal, @Param('id') id: string) {
    return { url: await this.encoders.downloadUrl(caller.teamId, id), expiresInSeconds: 3600 };
  }
}
