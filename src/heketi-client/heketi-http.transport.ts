import { Agent as HttpAgent, request as httpRequest, IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { HeketiApiError } from './heketi-api.error.js';

export interface HttpAnswer {
  body: string;
  headers: IncomingHttpHeaders;
  status: number;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** One HTTP(S) exchange with keep-alive, a timeout and an optional extra CA; nothing Heketi-specific. */
export class HeketiHttpTransport {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly secure: boolean;

  constructor(
    private readonly base: URL,
    ca: string | Buffer | undefined,
    private readonly timeoutMs: number,
  ) {
    this.secure = base.protocol === 'https:';
    this.agent = this.secure
      ? new HttpsAgent({ keepAlive: true, ca: ca === undefined ? undefined : [...rootCertificates, ca.toString()] })
      : new HttpAgent({ keepAlive: true });
  }

  /** The request path as the server sees it (the base URL's own path included). */
  pathOf(path: string): string {
    return `${this.base.pathname.replace(/\/+$/, '')}${path}`;
  }

  send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
    signal?: AbortSignal,
  ): Promise<HttpAnswer> {
    const send = this.secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(
        {
          agent: this.agent,
          headers:
            body === undefined
              ? headers
              : { ...headers, 'Content-Length': String(Buffer.byteLength(body)), 'Content-Type': 'application/json' },
          host: this.base.hostname,
          method,
          path,
          port: this.base.port,
          signal,
          timeout: this.timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              response.destroy(new HeketiApiError(0, `${method} ${path}: answer larger than ${MAX_BODY_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', (error) => reject(unreachable(this.base, error)));
          response.on('end', () =>
            resolve({
              body: Buffer.concat(chunks).toString(),
              headers: response.headers,
              status: response.statusCode ?? 0,
            }),
          );
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      request.on('error', (error) => reject(unreachable(this.base, error)));
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function unreachable(base: URL, error: Error): HeketiApiError {
  if (error instanceof HeketiApiError) {
    return error;
  }
  const code = (error as NodeJS.ErrnoException).code;
  return new HeketiApiError(0, `${base.origin} unreachable: ${code ?? error.message}`);
}
