import { requestPathForQsh } from '../src/common/qsh.js';
import { heketiToken } from './factories/heketi-token.factory.js';

export interface HeketiResponse {
  /** The instance that answered. */
  baseUrl: string;
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
  private turn = 0;

  /** With several base URLs, each request (poll, redirect) goes to the next one, like a round-robin load balancer. */
  constructor(
    private readonly baseUrls: string | string[],
    private readonly key: string,
    private readonly issuer = 'admin',
  ) {}

  get baseUrl(): string {
    return typeof this.baseUrls === 'string' ? this.baseUrls : this.baseUrls[this.turn % this.baseUrls.length];
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HeketiResponse> {
    const token = heketiToken({ issuer: this.issuer, key: this.key, method, path: requestPathForQsh(path) });
    const baseUrl = this.baseUrl;
    this.turn += 1;
    const response = await fetch(`${baseUrl}${path}`, {
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: {
        Authorization: `bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      method,
      redirect: 'manual',
    });
    const text = await response.text();
    return { baseUrl, body: text, headers: response.headers, json: () => JSON.parse(text), status: response.status };
  }

  /** POST/DELETE, then poll the queue like the Go client, following a 303 with a new token. */
  async async(
    method: string,
    path: string,
    body?: unknown,
    pollMs = 400,
  ): Promise<{ accepted: HeketiResponse; acceptedMs: number; final: HeketiResponse; polls: number }> {
    const started = performance.now();
    const accepted = await this.request(method, path, body);
    const acceptedMs = performance.now() - started;
    if (accepted.status !== 202) {
      return { accepted, acceptedMs, final: accepted, polls: 0 };
    }
    const { final, polls } = await this.follow(accepted.headers.get('location')!, pollMs);
    return { accepted, acceptedMs, final, polls };
  }

  /** Polls an operation's queue location until it is no longer pending, following a 303 like the Go client. */
  async follow(location: string, pollMs = 400): Promise<{ final: HeketiResponse; polls: number }> {
    for (let polls = 1; ; polls += 1) {
      const poll = await this.request('GET', location);
      if (poll.headers.get('x-pending') === 'true' && poll.status === 200) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        continue;
      }
      if (poll.status !== 303) {
        return { final: poll, polls };
      }
      // Go's http.Client sends the previous URL as Referer when it follows a redirect.
      const followed = await this.request('GET', poll.headers.get('location')!, undefined, {
        Referer: `${poll.baseUrl}${location}`,
      });
      return { final: followed, polls };
    }
  }
}
