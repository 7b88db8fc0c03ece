// Against a real redis-server (test/helpers/redis-server.ts): two deduper instances sharing it
// stand for two gateway replicas behind a load balancer.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDeduper, type Deduper } from '../../src/dedupe/coordinator.js';
import { createRedisStore } from '../../src/dedupe/redis.js';
import type { DedupeStore, DedupeStoreError } from '../../src/dedupe/store.js';
import { freePort, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { fakeUpstream, sha } from './fake-upstream.js';

let redis: RedisServer;
let raw: Redis;
const open: DedupeStore[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  raw = new Redis(redis.url, { maxRetriesPerRequest: 0 });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  raw?.disconnect();
  await redis?.stop();
});

function store(url = redis.url): DedupeStore {
  const s = createRedisStore({ url, onConnectionError: () => {} });
  open.push(s);
  return s;
}

interface Replica {
  deduper: Deduper;
  errors: DedupeStoreError[];
}

function replica(s: DedupeStore, waitMs = 2000): Replica {
  const errors: DedupeStoreError[] = [];
  return { deduper: createDeduper({ store: s, ttlMs: 60_000, waitMs, pollMinMs: 10, onStoreError: (e) => errors.push(e) }), errors };
}

/** Two replicas, each with its own connection to the same Redis. */
async function replicas(url = redis.url): Promise<[Replica, Replica]> {
  const stores = [store(url), store(url)] as const;
  await Promise.all(stores.map(ready));
  return [replica(stores[0]), replica(stores[1])];
}

let n = 1000;
const freshKey = (): string => `shop:${sha(++n)}`;

async function ready(s: DedupeStore): Promise<void> {
  // The offline queue is off by design: a command sent before the connection is up fails.
  if (!(await s.ready(5000))) throw new Error('redis store never became ready');
}

describe('redis store', () => {
  it('claims with SET NX PX under hubgate:dedupe:, held for the hold time', async () => {
    const s = store();
    await ready(s);
    const key = freshKey();
    expect((await s.claim(key, 5000)).state).toBe('claimed');
    expect(await raw.get(`hubgate:dedupe:${key}`)).toMatch(/^inflight:/);
    expect(await raw.pttl(`hubgate:dedupe:${key}`)).toBeGreaterThan(4000);
    expect(await s.claim(key, 5000)).toEqual({ state: 'in_flight' });
  });

  it('commits a delivery with the TTL', async () => {
    const s = store();
    await ready(s);
    const key = freshKey();
    await s.claim(key, 5000);
    await s.commit(key, 129_600_000);
    expect(await raw.get(`hubgate:dedupe:${key}`)).toBe('delivered');
    expect(await raw.pttl(`hubgate:dedupe:${key}`)).toBeGreaterThan(129_000_000);
    expect(await s.claim(key, 5000)).toEqual({ state: 'delivered' });
  });

  it('releases only its own claim', async () => {
    const s = store();
    await ready(s);
    const key = freshKey();
    const claim = await s.claim(key, 5000);
    if (claim.state !== 'claimed') throw new Error('expected a claim');
    await s.release(key, 'inflight:not-mine');
    expect(await s.state(key)).toBe('in_flight');
    await s.release(key, claim.token);
    expect(await s.state(key)).toBe('absent');
  });
});

describe('two replicas sharing redis', () => {
  it('answers the retry through B of a delivery made through A as a duplicate', async () => {
    const [a, b] = await replicas();
    const upstream = fakeUpstream();
    const key = freshKey();
    expect((await a.deduper.run(key, upstream.forward(key))).outcome).toBe('forwarded');
    expect(await b.deduper.run(key, upstream.forward(key))).toEqual({ outcome: 'duplicate', status: 200 });
    expect(upstream.calls()).toBe(1);
  });

  it('forwards again through B a delivery that got a 500 through A', async () => {
    const [a, b] = await replicas();
    const key = freshKey();
    await a.deduper.run(key, fakeUpstream({ status: 500 }).forward(key));
    const upstream = fakeUpstream();
    expect((await b.deduper.run(key, upstream.forward(key))).outcome).toBe('forwarded');
    expect(upstream.calls()).toBe(1);
  });

  it('forwards identical deliveries in flight at once on both replicas only once', async () => {
    const [a, b] = await replicas();
    const upstream = fakeUpstream({ delayMs: 100 });
    const key = freshKey();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).deduper.run(key, upstream.forward(key))),
    );
    expect(upstream.calls()).toBe(1);
    expect(results.filter((r) => r.outcome === 'forwarded')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(9);
  });

  it('answers a 5xx on B when the twin in flight on A fails, and forwards the next retry', async () => {
    const [a, b] = await replicas();
    const key = freshKey();
    const failing = fakeUpstream({ status: 500, delayMs: 80 });
    const first = a.deduper.run(key, failing.forward(key));
    await new Promise((r) => setTimeout(r, 20));
    expect(await b.deduper.run(key, failing.forward(key))).toEqual({ outcome: 'twin_failed', status: 502 });
    expect((await first).status).toBe(500);
    expect(failing.calls()).toBe(1);
    expect((await b.deduper.run(key, fakeUpstream().forward(key))).outcome).toBe('forwarded');
  });
});

describe('redis unavailable', () => {
  it('forwards every delivery and counts store errors when redis is killed mid-run', async () => {
    const own = await startRedisServer();
    try {
      const [a, b] = await replicas(own.url);
      const upstream = fakeUpstream({ delayMs: 50 });
      const key = freshKey();
      expect((await a.deduper.run(key, upstream.forward(key))).outcome).toBe('forwarded');

      // Killed while a forward is under way: its commit fails, its answer stands.
      const other = freshKey();
      const inFlight = b.deduper.run(other, upstream.forward(other));
      await new Promise((r) => setTimeout(r, 10));
      await own.kill();
      expect(await inFlight).toEqual({ outcome: 'forwarded', status: 200, bypassed: false });

      const started = Date.now();
      const after = await Promise.all([a, b, a, b].map((r, i) => r.deduper.run(`shop:${sha(i)}`, upstream.forward(`x${i}`))));
      expect(after.every((r) => r.outcome === 'forwarded' && r.status === 200)).toBe(true);
      // A retry of what A delivered: forwarded again rather than lost (at-least-once).
      expect(await b.deduper.run(key, upstream.forward(key))).toMatchObject({ outcome: 'forwarded', bypassed: true });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(upstream.calls()).toBe(7);
      expect(a.errors.length + b.errors.length).toBeGreaterThanOrEqual(6);
      expect(b.errors.map((e) => e.op)).toContain('commit');
    } finally {
      await own.stop();
    }
  });

  it('deduplicates again once redis comes back', async () => {
    const own = await startRedisServer();
    let back: RedisServer | undefined;
    try {
      const [a, b] = await replicas(own.url);
      await own.kill();
      const key = freshKey();
      expect(await a.deduper.run(key, fakeUpstream().forward(key))).toMatchObject({ bypassed: true });
      back = await startRedisServer({ port: own.port });
      await Promise.all(open.slice(-2).map(ready));
      const upstream = fakeUpstream();
      expect((await a.deduper.run(key, upstream.forward(key))).outcome).toBe('forwarded');
      expect((await b.deduper.run(key, upstream.forward(key))).outcome).toBe('duplicate');
      expect(upstream.calls()).toBe(1);
    } finally {
      await back?.stop();
      await own.stop();
    }
  });

  it('forwards at once when redis was never reachable', async () => {
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const r = replica(store(dead));
    const upstream = fakeUpstream();
    const started = Date.now();
    const key = freshKey();
    expect(await r.deduper.run(key, upstream.forward(key))).toEqual({ outcome: 'forwarded', status: 200, bypassed: true });
    expect(Date.now() - started).toBeLessThan(500);
    expect(r.errors.map((e) => e.op)).toEqual(['claim']);
  });
});
