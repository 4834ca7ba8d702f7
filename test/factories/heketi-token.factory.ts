import jwt from 'jsonwebtoken';
import { computeQsh } from '../../src/common/qsh.js';

export interface TokenOptions {
  algorithm?: jwt.Algorithm;
  claims?: Record<string, unknown>;
  /** Seconds from now; null leaves the claim out. */
  exp?: number | null;
  iat?: number | null;
  issuer?: string;
  key: string;
  method: string;
  path: string;
  qsh?: string;
}

/** Signs a token exactly as Heketi's Go client does: HS256, exp now+300, iat now, iss, qsh. */
export function heketiToken(options: TokenOptions): string {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: options.issuer ?? 'admin',
    qsh: options.qsh ?? computeQsh(options.method, options.path),
    ...options.claims,
  };
  if (options.exp !== null) {
    claims.exp = now + (options.exp ?? 300);
  }
  if (options.iat !== null) {
    claims.iat = now + (options.iat ?? 0);
  }
  // jsonwebtoken keeps a given iat, and only noTimestamp leaves it out entirely.
  return jwt.sign(claims, options.key, { algorithm: options.algorithm ?? 'HS256', noTimestamp: options.iat === null });
}
