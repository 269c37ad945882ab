import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Caller, PlatformAdmin } from './auth.decorators.js';
import { CreateTeamDto } from './auth.dto.js';
import { apiKeyView, teamView } from './auth.views.js';
import type { Principal } from './principal.js';
import { TeamsService } from './teams.service.js';

@ApiTags('teams')
@ApiBearerAuth()
@Controller('v1')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @Get('team')
  async getOwn(@Caller() caller: Principal) {
    return teamView(await this.teams.getOwn(caller.teamId));
  }

  @Post('admin/teams')
  @PlatformAdmin()
  async create(@Body() body: CreateTeamDto) {
    const created = await this.teams.create(body.name);
    return { team: teamView(created.team), apiKey: apiKeyView(created.apiKey), secret: created.secret };
  }
}
