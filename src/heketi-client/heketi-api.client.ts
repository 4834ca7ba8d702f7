import jwt from 'jsonwebtoken';
import { computeQsh } from '../auth/qsh.js';
import { HeketiApiError } from './heketi-api.error.js';
import type { HeketiCreateRequest, HeketiVolumeInfo, PiraguaCapacity, PiraguaVolume } from './heketi-api.types.js';
import { HeketiHttpTransport, HttpAnswer } from './heketi-http.transport.js';

export interface HeketiApiClientOptions {
  /** An extra CA (PEM) to trust for https. */
  ca?: string | Buffer;
  /** The secret the tokens are signed with; without it requests carry no token. */
  key?: string;
  /** Longest wait for an async operation (202 → /queue) to end. */
  operationTimeoutMs?: number;
  requestTimeoutMs?: number;
  url: string;
  user: string;
}

const TOKEN_LIFETIME_SECONDS = 300;
const FIRST_POLL_MS = 25;
/** Polls of a pending operation are answered from memory; a short cap keeps a finished create from waiting on the next poll. */
const MAX_POLL_MS = 100;
/** A server asking for more than this is treated as this: a CSI call must answer within seconds. */
const MAX_RETRY_AFTER_MS = 5000;
const MAX_BUSY_RETRIES = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A client of the Heketi REST API as piragua serves it (and of piragua's few extension routes):
 * a fresh HS256 token per request, 429 answers retried after Retry-After, and async operations
 * (202 → `/queue/<id>`) followed to their end.
 */
export class HeketiApiClient {
  private readonly transport: HeketiHttpTransport;
  private readonly operationTimeoutMs: number;

  constructor(private readonly options: HeketiApiClientOptions) {
    this.transport = new HeketiHttpTransport(new URL(options.url), options.ca, options.requestTimeoutMs ?? 10_000);
    this.operationTimeoutMs = options.operationTimeoutMs ?? 120_000;
  }

  /** The volume, or undefined when the server does not know the id (404). */
  async getVolume(id: string): Promise<HeketiVolumeInfo | undefined> {
    return this.readOrMissing<HeketiVolumeInfo>(`/volumes/${encodeURIComponent(id)}`);
  }

  /** The volume holding this name, in any state (piragua extension, one lookup, no scan). */
  async findVolumeByName(name: string): Promise<PiraguaVolume | undefined> {
    return this.readOrMissing<PiraguaVolume>(`/piragua/volumes/by-name/${encodeURIComponent(name)}`);
  }

  /** The piragua extension's view of a volume, in any state. */
  async getPiraguaVolume(id: string): Promise<PiraguaVolume | undefined> {
    return this.readOrMissing<PiraguaVolume>(`/piragua/volumes/${encodeURIComponent(id)}`);
  }

  async listVolumeIds(): Promise<string[]> {
    return this.json<{ volumes: string[] }>(await this.call('GET', '/volumes')).volumes;
  }

  async clusterIds(): Promise<string[]> {
    return this.json<{ clusters: string[] }>(await this.call('GET', '/clusters')).clusters;
  }

  async capacity(): Promise<PiraguaCapacity> {
    return this.json<PiraguaCapacity>(await this.call('GET', '/piragua/capacity'));
  }

  /** Resolves when the server answers its readiness check (`/health/ready`); throws why not otherwise. */
  async ready(): Promise<void> {
    await this.call('GET', '/health/ready');
  }

  /** Creates the volume and waits for the operation to end. */
  async createVolume(request: HeketiCreateRequest, signal?: AbortSignal): Promise<HeketiVolumeInfo> {
    const accepted = await this.call('POST', '/volumes', JSON.stringify(request), signal);
    return this.json<HeketiVolumeInfo>(await this.followOperation(accepted, signal));
  }

  /** Creates the volume, waits for the operation, and returns the new volume's id without reading it. */
  async createVolumeId(request: HeketiCreateRequest, signal?: AbortSignal): Promise<string> {
    const accepted = await this.call('POST', '/volumes', JSON.stringify(request), signal);
    const location = await this.followOperation(accepted, signal, false);
    const id = /\/volumes\/([0-9a-f]+)$/.exec(location.headers.location ?? '')?.[1];
    if (id === undefined) {
      throw new HeketiApiError(location.status, `create answered ${location.status} without the new volume's location`);
    }
    return id;
  }

  /** Adds `expandSizeGiB` to the volume's size (Heketi's expand is a delta) and waits for it. */
  async expandVolume(id: string, expandSizeGiB: number, signal?: AbortSignal): Promise<HeketiVolumeInfo> {
    const path = `/volumes/${encodeURIComponent(id)}/expand`;
    const accepted = await this.call('POST', path, JSON.stringify({ expand_size: expandSizeGiB }), signal);
    return this.json<HeketiVolumeInfo>(await this.followOperation(accepted, signal));
  }

  /** Deletes the volume and waits; false when the server did not know it. */
  async deleteVolume(id: string, signal?: AbortSignal): Promise<boolean> {
    try {
      const accepted = await this.call('DELETE', `/volumes/${encodeURIComponent(id)}`, undefined, signal);
      await this.followOperation(accepted, signal);
      return true;
    } catch (error) {
      if (error instanceof HeketiApiError && error.status === 404) {
        return false;
      }
      throw error;
    }
  }

  close(): void {
    this.transport.close();
  }

  private async readOrMissing<T>(path: string): Promise<T | undefined> {
    try {
      return this.json<T>(await this.call('GET', path));
    } catch (error) {
      if (error instanceof HeketiApiError && error.status === 404) {
        return undefined;
      }
      throw error;
    }
  }

  /** Polls `/queue/<id>` until the operation ends: 200 + X-Pending, then 303 (result), 204 (none) or 500. */
  private async followOperation(accepted: HttpAnswer, signal?: AbortSignal, follow = true): Promise<HttpAnswer> {
    if (accepted.status !== 202) {
      return accepted;
    }
    let location = this.locationOf(accepted);
    const deadline = Date.now() + this.operationTimeoutMs;
    let pause = FIRST_POLL_MS;
    for (;;) {
      const answer = await this.call('GET', location, undefined, signal, true);
      if (answer.status === 303) {
        if (!follow) {
          return answer;
        }
        location = this.locationOf(answer);
        return this.call('GET', location, undefined, signal);
      }
      if (answer.status !== 200 || answer.headers['x-pending'] !== 'true') {
        return answer;
      }
      if (Date.now() > deadline) {
        throw new HeketiApiError(0, `operation ${location} still pending after ${this.operationTimeoutMs} ms`);
      }
      await sleep(pause);
      pause = Math.min(MAX_POLL_MS, Math.ceil(pause * 1.5));
    }
  }

  private locationOf(answer: HttpAnswer): string {
    const location = answer.headers.location;
    if (typeof location !== 'string' || location === '') {
      throw new HeketiApiError(answer.status, `answer ${answer.status} without a Location header`);
    }
    // Heketi sends paths; a full URL is reduced to its path so the request stays on the configured server.
    const path = location.startsWith('/') ? location : new URL(location).pathname;
    return path.startsWith(this.transport.pathOf('/')) ? path.slice(this.transport.pathOf('').length) : path;
  }

  /** One request, retried while the server answers 429; a 4xx/5xx becomes a HeketiApiError with the server's text. */
  private async call(
    method: string,
    path: string,
    body?: string,
    signal?: AbortSignal,
    keepRedirect = false,
  ): Promise<HttpAnswer> {
    for (let attempt = 0; ; attempt += 1) {
      const fullPath = this.transport.pathOf(path);
      const answer = await this.transport.send(method, fullPath, this.headers(method, fullPath), body, signal);
      if (answer.status === 429 && attempt < MAX_BUSY_RETRIES) {
        await sleep(retryAfterMs(answer.headers['retry-after']));
        continue;
      }
      if (answer.status >= 400 || (answer.status >= 300 && !keepRedirect && answer.status !== 303)) {
        throw new HeketiApiError(answer.status, answer.body.trim() || `HTTP ${answer.status}`);
      }
      return answer;
    }
  }

  private headers(method: string, path: string): Record<string, string> {
    if (this.options.key === undefined) {
      return {};
    }
    const now = Math.floor(Date.now() / 1000);
    const token = jwt.sign(
      { exp: now + TOKEN_LIFETIME_SECONDS, iat: now, iss: this.options.user, qsh: computeQsh(method, path) },
      this.options.key,
      { algorithm: 'HS256' },
    );
    return { Authorization: `bearer ${token}` };
  }

  private json<T>(answer: HttpAnswer): T {
    try {
      return JSON.parse(answer.body) as T;
    } catch {
      throw new HeketiApiError(answer.status, `answer ${answer.status} is not JSON`);
    }
  }
}

/** Retry-After in seconds (or an HTTP date), bounded. */
function retryAfterMs(header: string | string[] | undefined): number {
  const text = Array.isArray(header) ? header[0] : header;
  const seconds = Number(text);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : text ? Date.parse(text) - Date.now() : 1000;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(100, Number.isFinite(ms) ? ms : 1000));
}
