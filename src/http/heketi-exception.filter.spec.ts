import { ArgumentsHost, Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HeketiExceptionFilter } from './heketi-exception.filter.js';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';

interface Sent {
  body?: string;
  headers: Record<string, unknown>;
  status?: number;
}

function hostFor(method: string, url: string): { host: ArgumentsHost; sent: Sent } {
  const sent: Sent = { headers: {} };
  const response = {
    end: (body: string) => (sent.body = body),
    headersSent: false,
    setHeader: (name: string, value: unknown) => (sent.headers[name] = value),
    set statusCode(status: number) {
      sent.status = status;
    },
  };
  const request = { headers: {}, method, url };
  const host = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ArgumentsHost;
  return { host, sent };
}

describe(HeketiExceptionFilter.name, () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('should answer a failed operation in plain text and log why, without the query string', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { host, sent } = hostFor('POST', '/volumes?debug=1');

    new HeketiExceptionFilter().catch(
      new PiraguaError(ErrorCode.Failed, "Failed to allocate new volume: Volume name 'data' already in use"),
      host,
    );

    expect(sent).toMatchObject({
      body: "Failed to allocate new volume: Volume name 'data' already in use\n",
      status: 500,
    });
    expect(warn).toHaveBeenCalledWith(
      "POST /volumes: Failed to allocate new volume: Volume name 'data' already in use",
    );
  });

  it('should answer bad input without a log line of its own: the request line says enough', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { host, sent } = hostFor('POST', '/volumes');

    new HeketiExceptionFilter().catch(new PiraguaError(ErrorCode.InvalidRequest, 'Invalid volume size'), host);

    expect(sent).toMatchObject({ body: 'Invalid volume size\n', status: 400 });
    expect(warn).not.toHaveBeenCalled();
  });
});
