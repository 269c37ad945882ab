import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { CreatedWindowQuery } from '../common/page-queries.js';
import { DatasetLayout, DatasetStatus } from '../generated/prisma/enums.js';

const layouts = Object.values(DatasetLayout);
const statuses = Object.values(DatasetStatus);
const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value);

export class CreateDatasetDto {
  @ApiProperty({ minLength: 1, maxLength: 200, description: 'Unique within the team' })
  @Transform(trimmed)
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @Length(0, 2000)
  description?: string;

  @ApiPropertyOptional({
    enum: layouts,
    default: 'IMAGEFOLDER',
    description: 'IMAGEFOLDER: class folders in one archive; WEBDATASET: tar shards of key.jpg + key.cls',
  })
  @IsOptional()
  @Transform(upper)
  @IsIn(layouts, { message: `layout must be one of ${layouts.join(', ')}` })
  layout?: DatasetLayout;
}

export class ListDatasetsQuery extends CreatedWindowQuery {
  @ApiPropertyOptional({ enum: statuses })
  @IsOptional()
  @Transform(upper)
  @IsIn(statuses, { message: `status must be one of ${statuses.join(', ')}` })
  status?: DatasetStatus;

  @ApiPropertyOptional({ enum: layouts })
  @IsOptional()
  @Transform(upper)
  @IsIn(layouts, { message: `layout must be one of ${layouts.join(', ')}` })
  layout?: DatasetLayout;
}

export class PageQuery {
  @ApiPropertyOptional({ description: 'Return items after this id (the last id of the previous page)', default: '0' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'after must be a non-negative whole number' })
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class CreateUploadSessionDto {
  @ApiProperty({ example: 'images.tar.gz', description: 'Archive file name: .zip, .tar, .tar.gz or .tgz' })
  @IsString()
  fileName!: string;

  @ApiProperty({ description: 'Exact size of the archive in bytes' })
  @IsInt({ message: 'sizeBytes must be a whole number' })
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  sizeBytes!: number;

  @ApiPropertyOptional({ description: 'sha256 of the whole archive (hex); checked on complete' })
  @IsOptional()
  @IsString()
  sha256?: string;

  @ApiPropertyOptional({ description: 'Part size in bytes (at least 5 MiB); defaults to UPLOAD_PART_SIZE_MB' })
  @IsOptional()
  @IsInt()
  @Min(5 * 1024 * 1024)
  @Max(5 * 1024 * 1024 * 1024)
  partSizeBytes?: number;
}
