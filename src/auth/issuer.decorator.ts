import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { HeketiPrincipal } from './heketi-jwt.strategy.js';

/** The authenticated JWT issuer (`admin` or `user`), e.g. to record who asked for a change. */
export const Issuer = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined =>
    context.switchToHttp().getRequest<{ user?: HeketiPrincipal }>().user?.issuer,
);
