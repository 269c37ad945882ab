import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString } from 'class-validator';
import { Caller } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import type { EvaluationKind } from './evaluation-settings.js';
import { EvaluationsService } from './evaluations.service.js';
import { evaluationView } from './evaluations.views.js';

const kinds = ['KNN', 'LINEAR'] as const;

export class CreateEvaluationDto {
  @ApiProperty({ description: 'A READY, labelled dataset of your team' })
  @IsString()
  datasetId!: string;

  @ApiProperty({ enum: kinds, description: 'KNN: weighted kNN top-1; LINEAR: linear probe top-1' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsIn(kinds, { message: 'kind must be KNN or LINEAR' })
  kind!: EvaluationKind;

  @ApiPropertyOptional({
    description:
      'KNN: k (200), temperature (0.07), holdoutEvery (5). LINEAR: epochs (100), batchSize (256), lr (0.1), weightDecay (0), seed (0), holdoutEvery (5)',
  })
  @IsOptional()
  @IsObject({ message: 'settings must be an object' })
  settings?: Record<string, unknown>;
}

@ApiTags('evaluations')
@ApiBearerAuth()
@Controller('v1')
export class EvaluationsController {
  constructor(private readonly evaluations: EvaluationsService) {}

  @Post('encoders/:id/evaluations')
  async create(@Caller() caller: Principal, @Param('id') encoderId: string, @Body() body: CreateEvaluationDto) {
    return evaluationView(await this.evaluations.create(caller.teamId, encoderId, body));
  }

  @Get('evaluations/:id')
  async get(@Caller() caller: Principal, @Param('id') id: string) {
    return evaluationView(await this.evaluations.get(caller.teamId, id));
  }
}
