import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';

/**
 * Swagger UI's "Try it out" in a real headless Chromium against the built service: the page signs
 * a Heketi JWT per request from the issuer and key given to Authorize (src/docs/heketi-request-signer.ts).
 */

const CHROMIUM = '/usr/bin/chromium';
/** Resolves to 127.0.0.1 but, unlike it, is not a secure context on plain HTTP: a remote host as the browser sees it. */
const REMOTE_NAME = 'piragua.test';

interface SentRequest {
  authorization?: string;
  method: string;
  url: string;
}

describe('Swagger UI: Try it out with per-request Heketi tokens', () => {
  let server: PiraguaProcess;
  let browser: BrowserContext;
  let profileDir: string;
  let dataDir: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; scripts/test-all.sh does)`,
      );
    }
    dataDir = mkdtempSync(join(tmpdir(), 'piragua-swagger-'));
    profileDir = mkdtempSync(join(tmpdir(), 'piragua-chromium-'));
    server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: dataDir });
    // A persistent context so the profile is a fresh directory we own (a plain launch() refuses --user-data-dir).
    browser = await chromium.launchPersistentContext(profileDir, {
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--host-resolver-rules=MAP ${REMOTE_NAME} 127.0.0.1`,
      ],
      executablePath: CHROMIUM,
      headless: true,
      viewport: { height: 1000, width: 1280 },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(profileDir, { force: true, recursive: true });
    rmSync(dataDir, { force: true, recursive: true });
  });

  /** Opens /docs and records every request the page makes beyond its own assets. */
  async function openDocs(origin = server.url): Promise<{ page: Page; sent: SentRequest[]; offOrigin: string[] }> {
    const page = await browser.newPage();
    const sent: SentRequest[] = [];
    const offOrigin: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol === 'data:' || url.protocol === 'blob:') {
        return;
      }
      if (url.origin !== origin) {
        offOrigin.push(request.url());
      } else if (!url.pathname.startsWith('/docs')) {
        sent.push({ authorization: request.headers().authorization, method: request.method(), url: request.url() });
      }
    });
    await page.goto(`${origin}/docs`);
    await page.locator('.opblock').first().waitFor();
    return { offOrigin, page, sent };
  }

  async function authorize(page: Page, issuer: string, key: string): Promise<void> {
    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.modal-ux');
    await expect(dialog.locator('h4').innerText()).resolves.toContain('heketi');
    await dialog.locator('#auth-basic-username').fill(issuer);
    await dialog.locator('#auth-basic-password').fill(key);
    await dialog.locator('button.authorize[type=submit]').click();
    await dialog.locator('button.btn-done').click();
    await dialog.waitFor({ state: 'detached' });
  }

  /** Expands an operation, presses Try it out (optionally sets the body) and Execute; returns the live response. */
  async function tryItOut(
    page: Page,
    operationId: string,
    body?: string,
  ): Promise<{ headers: string; status: string; text: string }> {
    const operation = page.locator(`#operations-${operationId}`);
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('button.try-out__btn').click();
    if (body !== undefined) {
      await operation.locator('textarea.body-param__text').fill(body);
    }
    await operation.locator('button.execute').click();
    // The live response: one row with the status code (plus "Undocumented" for an unlisted one) and the details.
    const row = operation.locator('.live-responses-table tbody tr.response');
    await row.waitFor();
    return {
      headers: (await row.locator('.headerline').allInnerTexts()).join('\n'),
      status: (await row.locator('.response-col_status').innerText()).trim(),
      text: await row.locator('.response-col_description').innerText(),
    };
  }

  it('should list clusters and create a volume after Authorize with issuer and key, signing each request in the page', async () => {
    const { offOrigin, page, sent } = await openDocs();
    try {
      await authorize(page, 'admin', ADMIN_KEY);

      const clusters = await tryItOut(page, 'clusters-clustersList');
      expect(clusters.status).toMatch(/^200\b/);
      expect(clusters.text).toMatch(/"clusters":\s*\[\s*"[0-9a-f]{32}"/);

      const created = await tryItOut(page, 'volumes-volumesCreate', '{"size":1}');
      expect(created.status).toMatch(/^202\b/);
      expect(created.headers).toMatch(/location: \/queue\/[0-9a-f]{32}/);

      // What went over the wire: a bearer JWT, distinct per request and bound to its method and path; never the key.
      expect(sent.map(({ method, url }) => `${method} ${new URL(url).pathname}`)).toEqual([
        'GET /clusters',
        'POST /volumes',
      ]);
      const tokens = sent.map(
        ({ authorization }) => /^bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(authorization ?? '')?.[2],
      );
      const claims = tokens.map(
        (segment) => JSON.parse(Buffer.from(segment ?? '', 'base64url').toString()) as Record<string, unknown>,
      );
      expect(claims.map(({ iss }) => iss)).toEqual(['admin', 'admin']);
      expect(claims[0].qsh).not.toBe(claims[1].qsh);
      expect(JSON.stringify(sent)).not.toContain(Buffer.from(`admin:${ADMIN_KEY}`).toString('base64'));
      expect(offOrigin).toEqual([]);

      mkdirSync('test-results', { recursive: true });
      // The POST /volumes operation from its (locked) summary to the live response: body, signed request, 202.
      const operation = page.locator('#operations-volumes-volumesCreate');
      await operation.scrollIntoViewIfNeeded();
      const top = (await operation.boundingBox())!;
      const bottom = (await operation.locator('.live-responses-table').boundingBox())!;
      const scroll = await page.evaluate(() => (globalThis as unknown as { scrollY: number }).scrollY);
      await page.screenshot({
        clip: {
          height: bottom.y + bottom.height - top.y + 8,
          width: top.width + 16,
          x: Math.max(top.x - 8, 0),
          y: top.y + scroll - 8,
        },
        fullPage: true,
        path: 'test-results/swagger-ui.png',
      });
    } finally {
      await page.close();
    }
  });

  it("should show the server's 401 when the key is wrong", async () => {
    const { page } = await openDocs();
    try {
      await authorize(page, 'admin', 'not-the-key');
      const clusters = await tryItOut(page, 'clusters-clustersList');
      expect(clusters.status).toMatch(/^401\b/);
      expect(clusters.text).toContain(
        'Invalid JWT token: signature is invalid (client and server secrets may not match)',
      );
    } finally {
      await page.close();
    }
  });

  it('should explain, and send nothing, where the page is not a secure context (plain HTTP from a remote host)', async () => {
    const origin = server.url.replace('127.0.0.1', REMOTE_NAME);
    const { page, sent } = await openDocs(origin);
    try {
      expect(await page.evaluate(() => (globalThis as { isSecureContext?: boolean }).isSecureContext)).toBe(false);
      await authorize(page, 'admin', ADMIN_KEY);
      const clusters = await tryItOut(page, 'clusters-clustersList');
      expect(clusters.status).not.toMatch(/\d{3}/);
      expect(clusters.text).toContain('Heketi JWT: cannot sign a token on this page');
      expect(clusters.text).toContain('PIRAGUA_TLS_CERT');
      expect(sent).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
