import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsOptional, IsString, ValidateNested } from 'class-validator';

export const OUTPUT_FORMATS = ['float', 'base64', 'binary'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const formatMessage = { message: `format must be one of ${OUTPUT_FORMATS.join(', ')}` };
const booleanText = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** One image: its bytes in base64, or a sample of one of the team's READY datasets. */
export class EmbedInputDto {
  @ApiPropertyOptional({ description: 'The encoded image (JPEG, PNG, WebP…), base64' })
  @IsOptional()
  @IsString({ message: 'image must be the image bytes in base64' })
  image?: string;

  @ApiPropertyOptional({ description: 'A READY dataset of your team; with key' })
  @IsOptional()
  @IsString()
  datasetId?: string;

  @ApiPropertyOptional({
    description: "The sample's key in the dataset's shards (its place in stored order), e.g. 000000042",
  })
  @IsOptional()
  @IsString()
  key?: string;
}

/** Options both content types take: in the JSON body, as multipart fields, or in the query string. */
export class EmbedOptionsDto {
  @ApiPropertyOptional({ default: false, description: 'Scale each embedding to unit L2 norm' })
  @IsOptional()
  @Transform(booleanText)
  @IsBoolean({ message: 'normalize must be true or false' })
  normalize?: boolean;

  @ApiPropertyOptional({
    enum: OUTPUT_FORMATS,
    default: 'float',
    description: 'float: JSON numbers; base64: little-endian float32 per embedding; binary: one octet-stream body',
  })
  @IsOptional()
  @IsIn(OUTPUT_FORMATS, formatMessage)
  format?: OutputFormat;
}

export class EmbedRequestDto extends EmbedOptionsDto {
  @ApiPropertyOptional({ type: [EmbedInputDto] })
  @IsArray({ message: 'inputs must be a list of {image} or {datasetId, key} objects' })
  @ValidateNested({ each: true })
  @Type(() => EmbedInputDto)
  inputs!: EmbedInputDto[];
}
