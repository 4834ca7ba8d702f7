import { spawnSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heketiToken } from '../factories/heketi-token.factory.js';
import { selfSignedCertificate } from '../factories/self-signed-certificate.factory.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';

interface Answer {
  body: string;
  status: number;
}

/** fetch cannot be given a CA, so HTTPS calls go through node:https with the test's own certificate. */
function httpsCall(url: string, ca: Buffer | undefined, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { agent: false, ca, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ body, status: response.statusCode ?? 0 }));
    });
    request.on('error', reject).end();
  });
}

describe('HTTPS with PIRAGUA_TLS_CERT and PIRAGUA_TLS_KEY', () => {
  let dir: string;
  let certFile: string;
  let keyFile: string;
  let ca: Buffer;
  let server: PiraguaProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'piragua-tls-'));
    ({ certFile, keyFile } = selfSignedCertificate(dir));
    // Self-signed: the certificate is its own CA.
    ca = readFileSync(certFile);
    server = await PiraguaProcess.start(
      { PIRAGUA_DATA_DIR: join(dir, 'data'), PIRAGUA_TLS_CERT: certFile, PIRAGUA_TLS_KEY: keyFile },
      { tls: { ca } },
    );
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('should serve a Heketi-signed request over HTTPS and say https:// when it starts', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const token = heketiToken({ key: ADMIN_KEY, method: 'GET', path: '/clusters' });

    const answer = await httpsCall(`${server.url}/clusters`, ca, { Authorization: `bearer ${token}` });

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ clusters: [expect.stringMatching(/^[0-9a-f]{32}$/)] });
    expect(server.logs).toContain(`listening on https://127.0.0.1:${new URL(server.url).port}`);
  });

  it('should still authenticate over HTTPS', async () => {
    expect(await httpsCall(`${server.url}/clusters`, ca)).toEqual({
      body: 'Required authorization token not found\n',
      status: 401,
    });
  });

  it('should not answer plain HTTP on the HTTPS port', async () => {
    const plain = server.url.replace(/^https:/, 'http:');

    await expect(fetch(`${plain}/hello`)).rejects.toThrow('fetch failed');
  });

  it('should present its certificate: a client with only the system CAs does not trust it', async () => {
    await expect(httpsCall(`${server.url}/hello`, undefined)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    expect(await httpsCall(`${server.url}/hello`, ca)).toEqual({ body: 'Hello from Heketi', status: 200 });
  });

  const startWith = (env: Record<string, string>) =>
    spawnSync(process.execPath, [resolve('dist/main.js')], {
      encoding: 'utf8',
      env: { HEKETI_ADMIN_KEY: ADMIN_KEY, PATH: process.env.PATH, PIRAGUA_DATA_DIR: join(dir, 'data'), ...env },
      timeout: 20_000,
    });

  it('should stop with exit code 2 and one clear line when the key file is missing', () => {
    const missing = join(dir, 'missing-key.pem');

    const result = startWith({ PIRAGUA_TLS_CERT: certFile, PIRAGUA_TLS_KEY: missing });

    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `piragua: PIRAGUA_TLS_KEY: cannot read ${missing} (ENOENT: no such file or directory)\n`,
    );
  });

  it('should stop with exit code 2 when the files are not a certificate and its key', () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a key\n');

    const result = startWith({ PIRAGUA_TLS_CERT: certFile, PIRAGUA_TLS_KEY: garbage });

    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^piragua: PIRAGUA_TLS_CERT and PIRAGUA_TLS_KEY: not a usable certificate and key \(.+\)\n$/,
    );
  });
});
