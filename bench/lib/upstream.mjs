// The recording upstream: the "app" behind every target. Plain node:http on loopback, answers
// 200 with a small JSON body, counts what arrives (requests, body bytes, which headers the proxy
// added) and re-checks the HMAC of one request in 256 so a proxy that altered bodies shows up.
// Usage: node upstream.mjs PORT SECRET      GET /__bench/stats → JSON, POST /__bench/reset
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';

const port = Number(process.argv[2]);
const secret = process.argv[3] ?? '';
let stats;
const reset = () => (stats = { requests: 0, bodyBytes: 0, hubgateApp: 0, forwardedFor: 0, hmacChecked: 0, hmacBad: 0, statusSent: {} });
reset();
const REPLY = Buffer.from('{"ok":true}');

const server = createServer({ keepAliveTimeout: 120_000, headersTimeout: 60_000, requestTimeout: 0 }, (req, res) => {
  if (req.url.startsWith('/__bench/')) {
    if (req.url === '/__bench/reset') reset();
    res.setHeader('content-type', 'application/json');
    return void res.end(JSON.stringify(stats));
  }
  const sample = (stats.requests & 255) === 0 && req.headers['x-hub-signature-256'];
  const chunks = sample ? [] : null;
  let bytes = 0;
  req.on('data', (c) => {
    bytes += c.length;
    if (chunks) chunks.push(c);
  });
  req.on('end', () => {
    stats.requests += 1;
    stats.bodyBytes += bytes;
    if (req.headers['x-hubgate-app']) stats.hubgateApp += 1;
    if (req.headers['x-forwarded-for']) stats.forwardedFor += 1;
    if (chunks) {
      stats.hmacChecked += 1;
      const want = createHmac('sha256', secret).update(Buffer.concat(chunks)).digest();
      const got = Buffer.from(String(req.headers['x-hub-signature-256']).slice(7), 'hex');
      if (got.length !== want.length || !timingSafeEqual(got, want)) stats.hmacBad += 1;
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
