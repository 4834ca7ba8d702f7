/**
 * The machine's yardstick for the read path: a bare Node HTTP server that does the least an
 * authenticated JSON read needs (check the token's HMAC, render a small body, write one log line
 * to /dev/null) and nothing else. The CPU of these machines runs up to twice as fast at one moment
 * as at another; measured in the same rounds as piragua, it tells the machine apart from the code.
 *
 *   node dist-bench/bench/reference-server.js <port> <key>
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';

const [port, key] = process.argv.slice(2);
const log = createWriteStream('/dev/null');
const volume = {
  id: '0'.repeat(32),
  name: 'vol_reference',
  size: 1,
  durability: { type: 'none' },
  mount: { glusterfs: { device: 'server:vol/id/name' } },
};

function signed(authorization: string | undefined): boolean {
  const [content, signature] = (authorization?.slice('bearer '.length) ?? '').split(/\.(?=[^.]*$)/);
  const expected = createHmac('sha256', key)
    .update(content ?? '')
    .digest();
  const given = Buffer.from(signature ?? '', 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

createServer((request, response) => {
  const status = signed(request.headers.authorization) ? 200 : 401;
  const body = JSON.stringify(volume);
  response
    .writeHead(status, { 'Content-Length': Buffer.byteLength(body), 'Content-Type': 'application/json' })
    .end(body);
  log.write(
    `${JSON.stringify({ method: request.method, path: request.url, status, time: new Date().toISOString() })}\n`,
  );
}).listen(Number(port), '127.0.0.1', () => {
  console.log('listening');
});
