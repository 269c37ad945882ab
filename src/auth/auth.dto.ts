import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { ApiKeyScope } from '../generated/prisma/enums.js';

const scopes = Object.values(ApiKeyScope);
const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateApiKeyDto {
  @ApiProperty({ description: 'What the key is for, e.g. "airflow prod"', minLength: 1, maxLength: 100 })
  @Transform(trimmed)
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiPropertyOptional({ enum: scopes, isArray: true, description: 'Defaults to READ and WRITE' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(3)
  @IsIn(scopes, { each: true, message: `each value in scopes must be one of ${scopes.join(', ')}` })
  scopes?: ApiKeyScope[];

  @ApiPropertyOptional({ minimum: 1, maximum: 3650, description: 'Days until the key expires; never when absent' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;
}

export class ListApiKeysQuery {
  @ApiPropertyOptional({ description: 'Include revoked keys', default: false })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'includeRevoked must be true or false' })
  includeRevoked?: boolean;
}

export class CreateTeamDto {
  @ApiProperty({ minLength: 1, maxLength: 100 })
  @Transform(trimmed)
  @IsString()
  @Length(1, 100)
  name!: string;
}
