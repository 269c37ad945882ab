import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeysService } from './api-keys.service.js';
import { Caller, RequiredScope } from './auth.decorators.js';
import { CreateApiKeyDto, ListApiKeysQuery } from './auth.dto.js';
import { apiKeyView, createdApiKeyView } from './auth.views.js';
import type { Principal } from './principal.js';

@ApiTags('api-keys')
@ApiBearerAuth()
@RequiredScope('ADMIN')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  async create(@Caller() caller: Principal, @Body() body: CreateApiKeyDto) {
    return createdApiKeyView(await this.apiKeys.create(caller.teamId, body));
  }

  @Get()
  async list(@Caller() caller: Principal, @Query() query: ListApiKeysQuery) {
    const keys = await this.apiKeys.list(caller.teamId, query.includeRevoked ?? false);
    return { apiKeys: keys.map(apiKeyView) };
  }

  @Delete(':id')
  @HttpCode(200)
  async revoke(@Caller() caller: Principal, @Param('id') id: string) {
    return apiKeyView(await this.apiKeys.revoke(caller, id));
  }
}
