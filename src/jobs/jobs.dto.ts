import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { CreatedWindowQuery } from '../common/page-queries.js';
import { JobStatus } from '../generated/prisma/enums.js';
import { JOB_PRESET_NAMES } from './job-presets.js';

const statuses = Object.values(JobStatus);
const accelerators = ['CPU', 'GPU'] as const;
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value);
const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** What an Idempotency-Key may be: 1–200 printable ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export class CreateJobDto {
  @ApiProperty({ description: 'A READY dataset of your team' })
  @IsString()
  datasetId!: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ enum: JOB_PRESET_NAMES, default: 'resnet50-paper' })
  @IsOptional()
  @IsString()
  preset?: string;

  @ApiPropertyOptional({
    description:
      'CLSA settings laid over the preset: top-level fields replace it, encoder fields one by one, views as a whole',
    example: { epochs: 20, beta: 1, encoder: { architecture: 'resnet18' } },
  })
  @IsOptional()
  @IsObject({ message: 'config must be an object of CLSA settings' })
  config?: Record<string, unknown>;

  @ApiPropertyOptional({ minimum: -100, maximum: 100, default: 0, description: 'Higher runs first' })
  @IsOptional()
  @IsInt({ message: 'priority must be a whole number' })
  @Min(-100, { message: 'priority must be between -100 and 100' })
  @Max(100, { message: 'priority must be between -100 and 100' })
  priority?: number;

  @ApiPropertyOptional({ enum: accelerators, description: "Default: the preset's (GPU, or CPU for cpu-demo)" })
  @IsOptional()
  @Transform(upper)
  @IsIn(accelerators, { message: 'accelerator must be CPU or GPU' })
  accelerator?: 'CPU' | 'GPU';

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1_000_000,
    description: "Steps between checkpoints; default: the preset's",
  })
  @IsOptional()
  @IsInt({ message: 'checkpointEvery must be a whole number' })
  @Min(1, { message: 'checkpointEvery must be between 1 and 1000000' })
  @Max(1_000_000, { message: 'checkpointEvery must be between 1 and 1000000' })
  checkpointEvery?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 10, default: 3, description: 'Attempts before the job FAILS' })
  @IsOptional()
  @IsInt({ message: 'maxAttempts must be a whole number' })
  @Min(1, { message: 'maxAttempts must be between 1 and 10' })
  @Max(10, { message: 'maxAttempts must be between 1 and 10' })
  maxAttempts?: number;
}

export class ListJobsQuery extends CreatedWindowQuery {
  @ApiPropertyOptional({ enum: statuses })
  @IsOptional()
  @Transform(upper)
  @IsIn(statuses, { message: `status must be one of ${statuses.join(', ')}` })
  status?: JobStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID('all', { message: 'datasetId must be a dataset id' })
  datasetId?: string;
}

export class MetricsQuery {
  @ApiPropertyOptional({ description: 'Steps after this one', default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'afterStep must be a whole number' })
  @Min(0)
  afterStep?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, default: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(10_000)
  limit?: number;
}
