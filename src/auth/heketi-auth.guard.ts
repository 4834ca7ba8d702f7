import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { PiraguaError } from '../common/piragua.error.js';
import { IS_PUBLIC_KEY } from '../common/public.decorator.js';
import { adminRequired, badAuthorizationHeader, invalidToken, tokenNotFound } from './auth.errors.js';
import { bearerToken, HeketiPrincipal, type HeketiRequest, unverifiedJws } from './heketi-jwt.strategy.js';
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

/** Request values in a log line are the client's: cap them and escape control characters, so a line stays one line. */
function forLog(value: string, max = 200): string {
  const escaped = JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  return escaped.slice(1, -1);
}

/** The `iss` claim as the client sent it, read without verifying anything; for the log only. */
function claimedIssuer(request: HeketiRequest): string | undefined {
  const token = bearerToken(request);
  if (token === null) {
    return undefined;
  }
  const issuer = unverifiedJws(token)?.claims.iss;
  return typeof issuer === 'string' && issuer !== '' ? issuer : undefined;
}

/**
 * The global guard: every route needs a valid Heketi JWT unless it is @Public(), and the `user`
 * issuer only reaches routes marked @UserAllowed(), as in heketi's app_middleware.go.
 */
@Injectable()
export class HeketiAuthGuard extends AuthGuard('heketi-jwt') {
  private readonly logger = new Logger(HeketiAuthGuard.name);

  constructor(private readonly reflector: Reflector) {
    super();
  }

  /** Not async itself: a public route is let through without a promise (under AsyncLocalStorage every promise costs CPU). */
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) {
      return true;
    }
    const request = context.switchToHttp().getRequest<HeketiRequest>();
    return this.authenticate(context, request).catch((error: unknown) => {
      this.logRejection(request, error);
      throw error;
    });
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

  private async authenticate(context: ExecutionContext, request: HeketiRequest): Promise<boolean> {
    if (!request.headers.authorization?.trim()) {
      throw tokenNotFound();
    }
    if (bearerToken(request) === null) {
      throw badAuthorizationHeader();
    }
    await super.canActivate(context);
    const principal = request.user!;
    if (
      principal.issuer !== 'admin' &&
      !this.reflector.getAllAndOverride<boolean>(USER_ALLOWED_KEY, [context.getHandler(), context.getClass()])
    ) {
      throw adminRequired();
    }
    return true;
  }

  /** One line per refused request, for operators: what was refused and why, never the token or a key. */
  private logRejection(request: HeketiRequest, error: unknown): void {
    const reason = error instanceof PiraguaError ? error.message : 'authentication failed unexpectedly';
    const issuer = claimedIssuer(request);
    const from = issuer === undefined ? '' : ` from issuer ${forLog(issuer, 40)}`;
    this.logger.warn(
      `Refused ${forLog(request.method ?? '', 20)} ${forLog((request.url ?? '').split('?', 1)[0])}${from}: ${forLog(reason)}`,
    );
  }
}
