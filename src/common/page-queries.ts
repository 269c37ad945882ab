import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsUUID, Max, Min } from 'class-validator';

/** Newest-first pages of a list: `cursor` is the last id of the previous page (ids are time-ordered). */
export class CursorPageQuery {
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

/** A cursor page narrowed to a creation-time window. */
export class CreatedWindowQuery extends CursorPageQuery {
  @ApiPropertyOptional({ description: 'ISO 8601 time; created at or after it' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdAfter must be an ISO 8601 time' })
  createdAfter?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 time; created before it' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdBefore must be an ISO 8601 time' })
  createdBefore?: string;
}
