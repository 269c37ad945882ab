import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuthGrpc } from './auth.grpc.js';
import { AuthGuard } from './auth.guard.js';
import { TeamsController } from './teams.controller.js';
import { TeamsRepository } from './teams.repository.js';
import { TeamsService } from './teams.service.js';

@Module({
  controllers: [ApiKeysController, TeamsController, AuthGrpc],
  providers: [
    ApiKeysRepository,
    TeamsRepository,
    ApiKeysService,
    TeamsService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [ApiKeysService, TeamsService],
})
export class AuthModule {}
