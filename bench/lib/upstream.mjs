// The recording upstream: the "app" behind every target. Plain node:http on loopback, answers
// 200 with a small JSON body, counts what arrives (requests, body bytes, which headers the proxy
// added, per path — tenants are paths of it) and re-checks the HMAC of one request in 256 so a
// proxy that altered bodies shows up.
// Usage: node upstream.mjs PORT SECRET      GET /__bench/stats → JSON, POST /__bench/reset
//   /__bench/strict/on: re-check every request's HMAC and keep the last 64 requests (path,
//   signature, rewritten, body) for /__bench/recent — the same-job check; /__bench/strict/off.
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';

const port = Number(process.argv[2]);
const secret = process.argv[3] ?? '';
let stats;
const reset = () => (stats = { requests: 0, bodyBytes: 0, hubgateApp: 0, forwardedFor: 0, rewritten: 0, hmacChecked: 0, hmacBad: 0, statusSent: {}, paths: {} });
reset();
let strict = false;
let recent = [];
const REPLY = Buffer.from('{"ok":true}');

function admin(req, res) {
  if (req.url === '/__bench/reset') reset();
  if (req.url === '/__bench/strict/on' || req.url === '/__bench/strict/off') {
    strict = req.url.endsWith('/on');
    recent = [];
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(req.url === '/__bench/recent' ? recent : stats));
}

const server = createServer({ keepAliveTimeout: 120_000, headersTimeout: 60_000, requestTimeout: 0 }, (req, res) => {
  if (req.url.startsWith('/__bench/')) return admin(req, res);
  const sample = (strict || (stats.requests & 255) === 0) && req.headers['x-hub-signature-256'];
  const chunks = sample || strict ? [] : null;
  let bytes = 0;
  req.on('data', (c) => {
    bytes += c.length;
    if (chunks) chunks.push(c);
  });
  req.on('end', () => {
    stats.requests += 1;
    stats.bodyBytes += bytes;
    const rewritten = req.headers['x-hubgate-rewritten'] === '1';
    const path = (stats.paths[req.url] ??= { requests: 0, bodyBytes: 0, rewritten: 0 });
    path.requests += 1;
    path.bodyBytes += bytes;
    if (rewritten) {
      stats.rewritten += 1;
      path.rewritten += 1;
    }
    if (req.headers['x-hubgate-app']) stats.hubgateApp += 1;
    if (req.headers['x-forwarded-for']) stats.forwardedFor += 1;
    let hmacOk = null;
    if (sample) {
      stats.hmacChecked += 1;
      const want = createHmac('sha256', secret).update(Buffer.concat(chunks)).digest();
      const got = Buffer.from(String(req.headers['x-hub-signature-256']).slice(7), 'hex');
      hmacOk = got.length === want.length && timingSafeEqual(got, want);
      if (!hmacOk) stats.hmacBad += 1;
    }
    if (strict) {
      recent.push({ path: req.url, signature: req.headers['x-hub-signature-256'] ?? null, rewritten, hmacOk, body: Buffer.concat(chunks).toString('base64') });
      if (recent.length > 64) recent.shift();
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': REPLY.length });
    res.end(REPLY);
  });
});
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
