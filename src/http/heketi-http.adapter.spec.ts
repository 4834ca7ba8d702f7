import type { Express } from 'express';
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpAdapter, HeketiHttpAdapter } from './heketi-http.adapter.js';

describe(HeketiHttpAdapter.name, () => {
  let server: Server | undefined;

  afterEach(async () => {
    if (server !== undefined) {
      await new Promise((resolve) => server!.close(resolve));
    }
    server = undefined;
  });

  it("should make requests and responses with the Express app's prototypes before Express sees them", async () => {
    const adapter = createHttpAdapter();
    adapter.initHttpServer({});
    const app = adapter.getInstance<Express>();
    server = adapter.getHttpServer();
    const born: object[] = [];
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
      born.push(Object.getPrototypeOf(request) as object, Object.getPrototypeOf(response) as object);
    });
    app.get('/probe', (_request, response) => {
      response.json({ ok: true });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');

    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/probe`);

    expect({ body: await answer.json(), status: answer.status }).toEqual({ body: { ok: true }, status: 200 });
    expect(born).toHaveLength(2);
    expect(born[0]).toBe(app.request);
    expect(born[1]).toBe(app.response);
  });

  it('should refuse options whose handling it does not implement', () => {
    expect(() => createHttpAdapter().initHttpServer({ forceCloseConnections: true })).toThrow(/not supported/);
  });
});
