import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator } from '@nestjs/common';
import type { AuthenticatedRequest, Principal } from '../auth/scopes.decorator';

/** The calling key (name and scopes), for routes that answer differently to pii:reveal. */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('Caller used on a route that AuthGuard did not authenticate');
  return principal;
});
