import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { PiraguaError } from '../common/piragua.error.js';
import { IS_PUBLIC_KEY } from '../common/public.decorator.js';
import { adminRequired, badAuthorizationHeader, invalidToken, tokenNotFound } from './auth.errors.js';
import { bearerToken, HeketiPrincipal } from './heketi-jwt.strategy.js';
import { USER_ALLOWED_KEY } from './user-allowed.decorator.js';

/** Turns what jsonwebtoken reports into the reasons Heketi's middleware gives. */
export function describeJwtFailure(info: unknown): PiraguaError {
  if (info instanceof PiraguaError) {
    return info;
  }
  const error = info as { name?: string; message?: string } | undefined;
  if (error?.name === 'NotBeforeError') {
    return invalidToken('Token is not valid yet');
  }
  if (error?.message === 'invalid signature') {
    return invalidToken('signature is invalid (client and server secrets may not match)');
  }
  return invalidToken(error?.message ?? 'token could not be verified');
}

/**
 * The global guard: every route needs a valid Heketi JWT unless it is @Public(), and the `user`
 * issuer only reaches routes marked @UserAllowed(), as in heketi's app_middleware.go.
 */
@Injectable()
export class HeketiAuthGuard extends AuthGuard('heketi-jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) {
      return true;
    }
    const request = context.switchToHttp().getRequest<Request>();
    if (!request.headers.authorization?.trim()) {
      throw tokenNotFound();
    }
    if (bearerToken(request) === null) {
      throw badAuthorizationHeader();
    }
    await super.canActivate(context);
    const principal = request.user as HeketiPrincipal;
    if (principal.issuer !== 'admin' && !this.reflector.getAllAndOverride<boolean>(USER_ALLOWED_KEY, targets)) {
      throw adminRequired();
    }
    return true;
  }

  override handleRequest<TUser = HeketiPrincipal>(error: unknown, user: TUser | false, info: unknown): TUser {
    if (error) {
      throw error instanceof PiraguaError ? error : describeJwtFailure(error);
    }
    if (!user) {
      throw describeJwtFailure(info);
    }
    return user;
  }
}
