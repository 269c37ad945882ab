import { timingSafeEqual, createHash } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Metadata } from '@grpc/grpc-js';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import type { ApiKeyScope } from '../generated/prisma/enums.js';
import { ApiKeysService, bearerToken } from './api-keys.service.js';
import { attachPrincipal, PLATFORM_ADMIN, PUBLIC_ROUTE, REQUIRED_SCOPE } from './auth.decorators.js';

function authorizationOf(context: ExecutionContext): unknown {
  return context.getType() === 'rpc'
    ? context.switchToRpc().getContext<Metadata>().get('authorization')[0]
    : context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
}

function defaultScope(context: ExecutionContext): ApiKeyScope {
  if (context.getType() !== 'http') return 'WRITE';
  const method = context.switchToHttp().getRequest<FastifyRequest>().method;
  return method === 'GET' || method === 'HEAD' ? 'READ' : 'WRITE';
}

function sameSecret(a: string, b: string): boolean {
  // Hashing first makes the comparison length-independent.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Every route and RPC is authenticated unless marked @Public(); one guard serves both transports. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true) return true;
    if (this.reflector.getAllAndOverride<boolean>(PLATFORM_ADMIN, targets) === true) {
      return this.checkAdminToken(bearerToken(authorizationOf(context)));
    }
    const needed = this.reflector.getAllAndOverride<ApiKeyScope>(REQUIRED_SCOPE, targets) ?? defaultScope(context);
    attachPrincipal(context, await this.apiKeys.authorize(authorizationOf(context), needed));
    return true;
  }

  private checkAdminToken(token: string): boolean {
    if (this.config.adminToken === undefined) {
      throw new AppError(
        'FORBIDDEN',
        'Platform administration is disabled: set ADMIN_TOKEN on the server to enable it',
      );
    }
    if (!sameSecret(token, this.config.adminToken)) {
      throw new AppError('FORBIDDEN', 'This operation needs the platform ADMIN_TOKEN');
    }
    return true;
  }
}
