import { requestPathForQsh } from '../src/auth/qsh.js';
import { heketiToken } from './factories/heketi-token.factory.js';

export interface HeketiResponse {
  body: string;
  headers: Headers;
  status: number;
  json<T = any>(): T;
}

/**
 * A client that behaves like Heketi's Go client: a fresh JWT per request, per poll and per
 * followed redirect; polls the queue every 400 ms until the answer is not X-Pending.
 */
export class HeketiClient {
  constructor(
    readonly baseUrl: string,
    private readonly key: string,
    private readonly issuer = 'admin',
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HeketiResponse> {
    const token = heketiToken({ issuer: this.issuer, key: this.key, method, path: requestPathForQsh(path) });
    const response = await fetch(`${this.baseUrl}${path}`, {
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: { Authorization: `bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      method,
      redirect: 'manual',
    });
    const text = await response.text();
    return { body: text, headers: response.headers, json: () => JSON.parse(text), status: response.status };
  }

  /** POST/DELETE, then poll the queue like the Go client, following a 303 with a new token. */
  async async(method: string, path: string, body?: unknown, pollMs = 400): Promise<{ accepted: HeketiResponse; final: HeketiResponse; polls: number }> {
    const accepted = await this.request(method, path, body);
    if (accepted.status !== 202) {
      return { accepted, final: accepted, polls: 0 };
    }
    const location = accepted.headers.get('location')!;
    let polls = 0;
    for (;;) {
      polls += 1;
      const poll = await this.request('GET', location);
      if (poll.headers.get('x-pending') === 'true') {
        if (poll.status !== 200) {
          return { accepted, final: poll, polls };
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        continue;
      }
      if (poll.status === 303) {
        return { accepted, final: await this.request('GET', poll.headers.get('location')!), polls };
      }
      return { accepted, final: poll, polls };
    }
  }
}
