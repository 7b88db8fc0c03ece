// SPEC.md §8 end to end: real gateways, real mTLS clients, a real redis-server shared by two
// gateway instances.
import { describe, it, expect } from 'vitest';
import { ok } from '../helpers/upstream.js';
import { startGateway, SECRET, type Harness } from '../helpers/gateway.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { useTestbed, useStarted, shopApp } from '../helpers/fixture.js';
import { post, type Outcome } from '../helpers/client.js';

const { pki, upstream } = useTestbed();

const deliver = (gw: Harness, body: string): Promise<Outcome> =>
  post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body, secret: SECRET });

const app = (dedupe: Record<string, unknown>) => [
  { ...shopApp(upstream), dedupe: { enabled: true, ...dedupe } },
];

describe('in memory', () => {
  const gw = useStarted('gw', () => startGateway(pki, app({})), (g) => g.stop());

  it('answers a retry of a delivered body 200 with X-Hubgate-Duplicate and does not forward it', async () => {
    const first = await deliver(gw, '{"id":"wamid.1"}');
    expect(first).toMatchObject({ kind: 'response', status: 200 });
    expect(first.kind === 'response' && first.headers['x-hubgate-duplicate']).toBeFalsy();
    const retry = await deliver(gw, '{"id":"wamid.1"}');
    expect(retry).toMatchObject({ kind: 'response', status: 200 });
    expect(retry.kind === 'response' && retry.headers['x-hubgate-duplicate']).toBe('1');
    expect(upstream.received).toHaveLength(1);
    expect(await gw.gateway.metrics.registry.getSingleMetricAsString('hubgate_duplicates_total')).toContain('app="shop"} 1');
  });

  it('forwards a retry again when the first attempt got a 500', async () => {
    upstream.respondWith((_r, res) => { res.writeHead(500); res.end(); });
    expect(await deliver(gw, '{"id":"wamid.2"}')).toMatchObject({ status: 500 });
    upstream.respondWith(ok);
    expect(await deliver(gw, '{"id":"wamid.2"}')).toMatchObject({ status: 200 });
    expect(upstream.received).toHaveLength(2);
  });

  it('forwards identical deliveries in flight at once only once', async () => {
    upstream.respondWith((_r, res) => setTimeout(() => { res.writeHead(200); res.end(); }, 200));
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => deliver(gw, '{"id":"wamid.3"}')));
    expect(outcomes.map((o) => (o.kind === 'response' ? o.status : o.code))).toEqual([200, 200, 200, 200, 200]);
    expect(upstream.received).toHaveLength(1);
  });

  it('never logs the body of a duplicate', async () => {
    await deliver(gw, '{"secret-looking":"do-not-log-me"}');
    await deliver(gw, '{"secret-looking":"do-not-log-me"}');
    expect(gw.logs.some((l) => l.duplicate === true)).toBe(true);
    expect(gw.rawLog()).not.toContain('do-not-log-me');
  });
});

describe('shared through Redis by two gateway instances', () => {
  const redis = useStarted('redis', () => startRedisServer(), (r) => r.stop());
  const a = useStarted('a', () => startGateway(pki, app({ store: { redis: redis.url } })), (g) => g.stop());
  const b = useStarted('b', () => startGateway(pki, app({ store: { redis: redis.url } })), (g) => g.stop());

  it('delivers through A, answers the retry through B as a duplicate: the upstream sees it once', async () => {
    expect(await deliver(a, '{"id":"wamid.r1"}')).toMatchObject({ status: 200 });
    const retry = await deliver(b, '{"id":"wamid.r1"}');
    expect(retry).toMatchObject({ status: 200 });
    expect(retry.kind === 'response' && retry.headers['x-hubgate-duplicate']).toBe('1');
    expect(upstream.received).toHaveLength(1);
  });

  it('forwards identical deliveries racing through A and B only once', async () => {
    upstream.respondWith((_r, res) => setTimeout(() => { res.writeHead(200); res.end(); }, 200));
    const outcomes = await Promise.all([deliver(a, '{"id":"wamid.r2"}'), deliver(b, '{"id":"wamid.r2"}')]);
    expect(outcomes.map((o) => (o.kind === 'response' ? o.status : o.code))).toEqual([200, 200]);
    expect(upstream.received).toHaveLength(1);
  });

  it('keeps forwarding when Redis dies (at-least-once), counting store errors', async () => {
    await redis.kill();
    const outcomes = await Promise.all([deliver(a, '{"id":"wamid.r3"}'), deliver(b, '{"id":"wamid.r4"}')]);
    expect(outcomes.map((o) => (o.kind === 'response' ? o.status : o.code))).toEqual([200, 200]);
    expect(upstream.received.map((r) => r.body.toString()).sort()).toEqual(['{"id":"wamid.r3"}', '{"id":"wamid.r4"}']);
    const errors = await a.gateway.metrics.registry.getSingleMetricAsString('hubgate_dedupe_store_errors_total');
    expect(errors).toMatch(/hubgate_dedupe_store_errors_total [1-9]/);
  });
});
