import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import type { ApiKeyScope } from '../generated/prisma/enums.js';
import type { Principal } from './principal.js';

export const PUBLIC_ROUTE = 'clsa:public';
export const REQUIRED_SCOPE = 'clsa:required-scope';
export const PLATFORM_ADMIN = 'clsa:platform-admin';

/** No credentials needed (health, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** Overrides the default scope (READ for HTTP GET, WRITE otherwise). */
export const RequiredScope = (scope: ApiKeyScope) => SetMetadata(REQUIRED_SCOPE, scope);
/** Operator-only: needs the ADMIN_TOKEN from the environment, not a team key. */
export const PlatformAdmin = () => SetMetadata(PLATFORM_ADMIN, true);

/** Keyed by the transport's request object (Fastify request or gRPC metadata) so both faces share it. */
const principals = new WeakMap<object, Principal>();

export function requestCarrier(context: ExecutionContext): object {
  return context.getType() === 'rpc'
    ? context.switchToRpc().getContext<object>()
    : context.switchToHttp().getRequest<object>();
}

export function attachPrincipal(context: ExecutionContext, principal: Principal): void {
  principals.set(requestCarrier(context), principal);
}

/** The authenticated caller; its teamId scopes every query the handler makes. */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = principals.get(requestCarrier(context));
  if (principal === undefined) throw new AppError('UNAUTHENTICATED', 'This operation needs an API key');
  return principal;
});
