// node http-check.mjs BASE_URL ADMIN_KEY: waits up to 30 s for GET /hello to answer 200, then checks
// that GET /clusters needs a token (401) and answers 200 to a Heketi JWT signed with ADMIN_KEY.
import { createHash, createHmac } from 'node:crypto';

const [base, key] = process.argv.slice(2);
if (!base || !key) {
  console.error('usage: node http-check.mjs BASE_URL ADMIN_KEY');
  process.exit(2);
}

function token(method, path) {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const qsh = createHash('sha256').update(`${method}&${path}`).digest('hex');
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: 'admin', iat: now, exp: now + 300, qsh })}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

const deadline = Date.now() + 30_000;
let hello;
while (Date.now() < deadline) {
  try {
    hello = await fetch(`${base}/hello`);
    if (hello.status === 200) {
      break;
    }
  } catch {
    // not listening yet
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
if (hello?.status !== 200) {
  console.error(`GET /hello did not answer 200 within 30 s (last: ${hello?.status ?? 'no answer'})`);
  process.exit(1);
}
console.log(`GET /hello -> ${hello.status} ${JSON.stringify(await hello.text())}`);

const anonymous = await fetch(`${base}/clusters`);
console.log(`GET /clusters without a token -> ${anonymous.status}`);
const signed = await fetch(`${base}/clusters`, { headers: { Authorization: `bearer ${token('GET', '/clusters')}` } });
const body = await signed.text();
console.log(`GET /clusters with the admin key -> ${signed.status} ${body}`);
process.exit(anonymous.status === 401 && signed.status === 200 ? 0 : 1);
