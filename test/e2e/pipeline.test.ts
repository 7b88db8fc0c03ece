// Stages 4–9 over real mTLS connections: each refusal gets its status and reaches nothing
// upstream; genuine deliveries arrive byte for byte.
import { describe, it, expect, beforeAll } from 'vitest';
import { freePort } from '../helpers/net.js';
import { SECRET, eventually } from '../helpers/gateway.js';
import { useGateway, shopApp } from '../helpers/fixture.js';
import { post, send, sign, type Outcome } from '../helpers/client.js';

const OLD_SECRET = 'previous-app-secret-abcdef';
const TOKEN = 'meatyhamhock-verify-token';
let deadPort: number;
beforeAll(async () => {
  deadPort = await freePort();
});
const { pki, upstream, gw } = useGateway({
  apps: (upstream) => [
    { ...shopApp(upstream), previousAppSecrets: [{ value: OLD_SECRET }] },
    { name: 'wa', path: '/webhooks/wa', upstream: `${upstream.url}/wa`, verifyToken: { value: TOKEN } },
    { name: 'hosted', host: 'hooks.example.com', path: '/webhooks/shop', upstream: `${upstream.url}/hosted` },
    { name: 'down', path: '/down', upstream: `http://127.0.0.1:${deadPort}/` },
  ],
  overrides: { limits: { maxBodyBytes: 4 * 1024 * 1024, upstreamTimeoutMs: 500 } },
});

const deliver = (path: string, body: Buffer | string, secret = SECRET, headers = {}): Promise<Outcome> =>
  post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path, body, secret, headers });

function status(o: Outcome): number | string {
  return o.kind === 'response' ? o.status : o.code;
}

describe('signature (stage 8) over the raw bytes', () => {
  // What Meta sends: non-ASCII as \uXXXX, "/" as "\/", emoji as a surrogate pair.
  const metaBody = Buffer.from(
    '{"object":"page","entry":[{"id":"1","changes":[{"value":{"text":"caf\\u00e9 \\ud83d\\ude00","url":"https:\\/\\/x.example\\/a"}}]}]}',
  );

  it('forwards a Meta-style escaped body byte-identical', async () => {
    const outcome = await deliver('/webhooks/shop', metaBody);
    expect(status(outcome)).toBe(200);
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]!.body.equals(metaBody)).toBe(true);
    expect(upstream.received[0]!.headers['x-hub-signature-256']).toBe(sign(metaBody, SECRET));
  });

  it('refuses the same body re-serialized (the signature covers the bytes, not the JSON)', async () => {
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(metaBody.toString())));
    expect(reserialized.equals(metaBody)).toBe(false);
    const outcome = await post({
      port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: reserialized, secret: SECRET,
      headers: { 'x-hub-signature-256': sign(metaBody, SECRET) },
    });
    expect(status(outcome)).toBe(401);
    expect(upstream.received).toHaveLength(0);
  });

  it('accepts a body signed with a previous secret during a rotation', async () => {
    expect(status(await deliver('/webhooks/shop', '{"rotated":true}', OLD_SECRET))).toBe(200);
    expect(upstream.received).toHaveLength(1);
  });

  it('refuses a body signed with an unknown secret', async () => {
    expect(status(await deliver('/webhooks/shop', '{}', 'not-the-secret'))).toBe(401);
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses a POST without X-Hub-Signature-256', async () => {
    const outcome = await send({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: '{}' });
    expect(status(outcome)).toBe(401);
    expect((outcome as { body: string }).body).toContain('signature_missing');
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses a malformed X-Hub-Signature-256', async () => {
    const outcome = await deliver('/webhooks/shop', '{}', SECRET, { 'x-hub-signature-256': 'sha1=abc' });
    expect(status(outcome)).toBe(401);
    expect(upstream.received).toHaveLength(0);
  });
});

describe('body (stage 7)', () => {
  it('forwards a 3 MB body intact', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'a');
    big.write('{"x":"', 0);
    big.write('"}', big.length - 2);
    expect(status(await deliver('/webhooks/shop', big))).toBe(200);
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]!.body.equals(big)).toBe(true);
  });

  it('answers 413 to a body over limits.maxBodyBytes and forwards nothing', async () => {
    const tooBig = Buffer.alloc(4 * 1024 * 1024 + 1, 'b');
    expect(status(await deliver('/webhooks/shop', tooBig))).toBe(413);
    expect(upstream.received).toHaveLength(0);
  });

  it('answers 413 to an over-limit chunked body without Content-Length', async () => {
    const { request } = await import('node:https');
    const result = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: gw.port, servername: 'localhost', method: 'POST', path: '/webhooks/shop', ca: pki.serverCa, ...pki.meta, agent: false,
          headers: { host: 'localhost', 'x-hub-signature-256': sign('x', SECRET), 'transfer-encoding': 'chunked' } },
        (res) => { res.resume(); resolve(res.statusCode ?? 0); },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 'c');
      let sent = 0;
      const pump = () => {
        while (sent < 6 && req.write(chunk)) sent += 1;
        if (sent < 6) req.once('drain', () => { sent += 1; pump(); });
        else req.end();
      };
      pump();
    });
    expect(result).toBe(413);
    expect(upstream.received).toHaveLength(0);
  });
});

describe('route (4), method (5), verify-token (6)', () => {
  it('answers 404 to an unknown path', async () => {
    expect(status(await deliver('/webhooks/other', '{}'))).toBe(404);
    expect(upstream.received).toHaveLength(0);
  });

  it('matches prefixes on segment boundaries only', async () => {
    expect(status(await deliver('/webhooks/shopping', '{}'))).toBe(404);
    expect(status(await deliver('/webhooks/shop/orders?x=1', '{}'))).toBe(200);
    expect(upstream.received.map((r) => r.url)).toEqual(['/hook/orders?x=1']);
  });

  it('refuses a dot-segment path that would escape the prefix', async () => {
    expect(status(await deliver('/webhooks/shop/../wa', '{}'))).toBe(404);
    expect(status(await deliver('/webhooks/shop/%2e%2e/wa', '{}'))).toBe(404);
    expect(upstream.received).toHaveLength(0);
  });

  it('routes by Host when an app names one', async () => {
    const outcome = await post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: '{}', secret: SECRET, host: 'Hooks.Example.com:8443' });
    expect(status(outcome)).toBe(200);
    expect(upstream.received[0]!.url).toBe('/hosted');
  });

  it('answers 405 to PUT and forwards nothing', async () => {
    const outcome = await send({ port: gw.port, ca: pki.serverCa, client: pki.meta, method: 'PUT', path: '/webhooks/shop', body: '{}' });
    expect(status(outcome)).toBe(405);
    expect(outcome.kind === 'response' && outcome.headers.allow).toBe('GET, POST');
    expect(upstream.received).toHaveLength(0);
  });

  it('answers the verification GET itself with the challenge, as text/plain', async () => {
    const outcome = await send({
      port: gw.port, ca: pki.serverCa, method: 'GET',
      path: `/webhooks/wa?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${TOKEN}`,
    });
    expect(outcome).toMatchObject({ kind: 'response', status: 200, body: '1158201444' });
    expect(outcome.kind === 'response' && outcome.headers['content-type']).toMatch(/^text\/plain/);
    expect(upstream.received).toHaveLength(0);
  });

  it('answers 403 to a wrong verify token and never logs it', async () => {
    const outcome = await send({
      port: gw.port, ca: pki.serverCa, method: 'GET',
      path: '/webhooks/wa?hub.mode=subscribe&hub.challenge=42&hub.verify_token=guessed-token-value',
    });
    expect(status(outcome)).toBe(403);
    expect(upstream.received).toHaveLength(0);
    await eventually(() => gw.logs.find((l) => l.reason === 'verify_token_mismatch'));
    expect(gw.rawLog()).not.toContain('guessed-token-value');
    expect(gw.rawLog()).not.toContain(TOKEN);
  });

  it('forwards a GET with a certificate when the app has no verifyToken', async () => {
    const outcome = await send({ port: gw.port, ca: pki.serverCa, client: pki.meta, method: 'GET', path: '/webhooks/shop/status' });
    expect(status(outcome)).toBe(200);
    expect(upstream.received.map((r) => [r.method, r.url])).toEqual([['GET', '/hook/status']]);
  });
});

describe('forward (stage 9)', () => {
  it('replaces spoofed X-Forwarded-* and strips inbound X-Hubgate-* headers', async () => {
    await deliver('/webhooks/shop', '{}', SECRET, {
      'x-forwarded-for': '6.6.6.6',
      'x-hubgate-app': 'admin',
      'X-Hubgate-Client-Cert-Sha256': 'f'.repeat(64),
      'x-hubgate-whatever': '1',
      forwarded: 'for=6.6.6.6',
    });
    const h = upstream.received[0]!.headers;
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('https');
    expect(h['x-hubgate-app']).toBe('shop');
    expect(h['x-hubgate-client-cert-sha256']).not.toBe('f'.repeat(64));
    expect(h['x-hubgate-whatever']).toBeUndefined();
    expect(h.forwarded).toBeUndefined();
  });

  it('passes the upstream’s 500 back (Meta retries it)', async () => {
    upstream.respondWith((_r, res) => { res.writeHead(500); res.end('boom'); });
    const outcome = await deliver('/webhooks/shop', '{}');
    expect(outcome).toMatchObject({ kind: 'response', status: 500, body: 'boom' });
  });

  it('answers 502 when the upstream is down', async () => {
    expect(status(await deliver('/down', '{}'))).toBe(502);
  });

  it('answers 504 when the upstream does not answer within upstreamTimeoutMs', async () => {
    upstream.respondWith((_r, res) => setTimeout(() => { res.writeHead(200); res.end('late'); }, 1_500));
    expect(status(await deliver('/webhooks/shop', '{}'))).toBe(504);
    expect(upstream.received).toHaveLength(1); // it did arrive; the 504 makes Meta retry
  });

  it('delivers 200 concurrent deliveries each exactly once', async () => {
    const bodies = Array.from({ length: 200 }, (_, i) => `{"delivery":${i}}`);
    const outcomes = await Promise.all(bodies.map((b) => deliver('/webhooks/shop', b)));
    expect(outcomes.map(status).filter((s) => s !== 200)).toEqual([]);
    const seen = upstream.received.map((r) => r.body.toString()).sort();
    expect(seen).toEqual([...bodies].sort());
  });
});
