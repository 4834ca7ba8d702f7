import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import jwt from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import { invalidQsh, invalidToken } from './auth.errors.js';
import { computeQsh, requestPathForQsh } from '../common/qsh.js';

export type Issuer = 'admin' | 'user';

export interface HeketiPrincipal {
  issuer: Issuer;
}

/** Node's request, as any HTTP platform hands it over, plus what the guard attaches. */
export interface HeketiRequest extends IncomingMessage {
  /** The request target as received (a platform may rewrite `url` while routing). */
  originalUrl?: string;
  /** Set by HeketiAuthGuard (through passport) once the token checked out. */
  user?: HeketiPrincipal;
}

interface HeketiClaims {
  exp?: unknown;
  iat?: unknown;
  iss?: unknown;
  qsh?: unknown;
}

const HMAC_ALGORITHMS: jwt.Algorithm[] = ['HS256', 'HS384', 'HS512'];

/** Three base64url parts, the signature possibly empty: what jws accepts as a compact JWS. */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/;

function jsonObjectFrom(base64url: string): Record<string, unknown> | undefined {
  const value: unknown = JSON.parse(Buffer.from(base64url, 'base64url').toString('utf8'));
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/**
 * Header and claims read without verifying anything, only to pick the key that jsonwebtoken then
 * verifies the token with; undefined when jsonwebtoken would not decode it either. Done by hand
 * because jws's decoder, run here and again in the verification, was a tenth of a read's CPU time.
 */
export function unverifiedJws(rawToken: string): { claims: HeketiClaims; header: { alg?: unknown } } | undefined {
  if (!COMPACT_JWS.test(rawToken)) {
    return undefined;
  }
  const [header, claims] = rawToken.split('.', 2);
  try {
    const decodedHeader = jsonObjectFrom(header);
    const decodedClaims = jsonObjectFrom(claims);
    return decodedHeader && decodedClaims ? { claims: decodedClaims, header: decodedHeader } : undefined;
  } catch {
    return undefined;
  }
}

/** `Bearer <token>`, the scheme in any case, surrounded and separated by any whitespace. */
const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

/** The token after the scheme; HeketiAuthGuard has already checked the header's shape. */
export function bearerToken(request: HeketiRequest): string | null {
  return BEARER.exec(request.headers.authorization ?? '')?.[1] ?? null;
}

/**
 * Heketi's JWT rules (heketi middleware/jwt.go): an HMAC token whose `iss` picks the key,
 * `exp` required with no leeway, `iat` at most the configured leeway in the future, and `qsh`
 * bound to this request's method and path.
 */
@Injectable()
export class HeketiJwtStrategy extends PassportStrategy(Strategy, 'heketi-jwt') {
  /**
   * Made once: given a string, jsonwebtoken first tries it as a PEM public key and builds the
   * secret key only after that throws, which cost more than everything else in a request.
   */
  private readonly keys: { admin: KeyObject; user?: KeyObject };

  constructor(private readonly config: AppConfig) {
    super({
      algorithms: HMAC_ALGORITHMS,
      // jsonwebtoken refuses a token once now >= exp; Heketi accepts it while now <= exp (checked in validate).
      ignoreExpiration: true,
      jwtFromRequest: bearerToken,
      passReqToCallback: true,
      secretOrKeyProvider: (
        _request: HeketiRequest,
        rawToken: string,
        done: (error: Error | null, key?: string | Buffer) => void,
      ) => {
        try {
          // passport-jwt's types predate KeyObject; it hands the key to jsonwebtoken, which takes one.
          done(null, this.keyFor(rawToken) as unknown as Buffer);
        } catch (error) {
          done(error as Error);
        }
      },
    });
    const { adminKey, userKey } = config.auth;
    this.keys = {
      admin: createSecretKey(Buffer.from(adminKey)),
      user: userKey === undefined ? undefined : createSecretKey(Buffer.from(userKey)),
    };
  }

  validate(request: HeketiRequest, claims: HeketiClaims): HeketiPrincipal {
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number') {
      throw invalidToken('Token missing exp claim');
    }
    if (now > claims.exp) {
      throw invalidToken(`Token is expired by ${now - claims.exp}s`);
    }
    if (
      claims.iat !== undefined &&
      (typeof claims.iat !== 'number' || now < claims.iat - this.config.auth.iatLeewaySeconds)
    ) {
      throw invalidToken('Token used before issued (client and server clocks may differ)');
    }
    if (claims.qsh !== computeQsh(request.method ?? '', requestPathForQsh(request.originalUrl ?? request.url ?? ''))) {
      throw invalidQsh();
    }
    return { issuer: claims.iss as Issuer };
  }

  private keyFor(rawToken: string): KeyObject {
    const unverified = unverifiedJws(rawToken);
    if (unverified === undefined) {
      throw invalidToken('token is malformed');
    }
    const algorithm = unverified.header.alg;
    if (!HMAC_ALGORITHMS.includes(algorithm as jwt.Algorithm)) {
      throw invalidToken(`Unexpected signing method: ${String(algorithm)}`);
    }
    const issuer = unverified.claims.iss;
    if (issuer === undefined || issuer === '') {
      throw invalidToken('Token missing iss claim');
    }
    if (issuer === 'admin') {
      return this.keys.admin;
    }
    if (issuer === 'user' && this.keys.user !== undefined) {
      return this.keys.user;
    }
    throw invalidToken('Unknown user');
  }
}
