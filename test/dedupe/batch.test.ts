// Deduper.runBatch: several keys travelling together (one delivery's events for one
// destination), in memory and through a real redis-server shared by two replicas.
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeduper, type Deduper } from '../../src/dedupe/coordinator.js';
import { createMemoryStore } from '../../src/dedupe/memory.js';
import { createRedisStore } from '../../src/dedupe/redis.js';
import type { DedupeStore, DedupeStoreError } from '../../src/dedupe/store.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { sha } from './fake-upstream.js';

const key = (n: number): string => `shop:${sha(n)}`;

/** One batch through `d`: each send is recorded as [fresh indexes, failing count]. */
function run(d: Deduper, keys: string[], status = 200, delayMs = 0) {
  const sends: Array<[number[], number]> = [];
  return {
    sends,
    /** The keys the sends carried. */
    sentKeys: () => sends.flatMap(([fresh]) => fresh.map((i) => keys[i]!)),
    result: d.runBatch(keys, async (fresh, failing) => {
      sends.push([[...fresh], failing]);
      if (delayMs > 0) await sleep(delayMs);
      return { status };
    }),
  };
}

const memory = () => createDeduper({ store: createMemoryStore(), ttlMs: 60_000, waitMs: 2_000 });

describe('runBatch, in memory', () => {
  it('sends every new key once, in one send, and remembers them on a 2xx', async () => {
    const d = memory();
    const first = run(d, [key(1), key(2), key(3)]);
    const r = await first.result;
    expect(first.sends).toEqual([[[0, 1, 2], 0]]);
    expect(r.fates.map((f) => f.kind)).toEqual(['sent', 'sent', 'sent']);
    const again = run(d, [key(1), key(2), key(3)]);
    expect((await again.result).fates.map((f) => f.kind)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(again.sends).toEqual([]);
  });

  it('sends only the keys not delivered before', async () => {
    const d = memory();
    await run(d, [key(1), key(3)]).result;
    const mixed = run(d, [key(1), key(2), key(3), key(4)]);
    const r = await mixed.result;
    expect(mixed.sends).toEqual([[[1, 3], 0]]);
    expect(r.fates.map((f) => f.kind)).toEqual(['duplicate', 'sent', 'duplicate', 'sent']);
  });

  it('forgets the keys of a send that got a non-2xx', async () => {
    const d = memory();
    await run(d, [key(1), key(2)], 500).result;
    const retry = run(d, [key(1), key(2)]);
    await retry.result;
    expect(retry.sends).toEqual([[[0, 1], 0]]);
  });

  it('sends a key listed twice in one batch once; the repeat shares its fate', async () => {
    const d = memory();
    const twice = run(d, [key(1), key(2), key(1)]);
    expect((await twice.result).fates.map((f) => f.kind)).toEqual(['sent', 'sent', 'duplicate']);
    expect(twice.sends).toEqual([[[0, 1], 0]]);
    const failing = run(d, [key(5), key(5)], 503);
    expect((await failing.result).fates).toEqual([{ kind: 'sent' }, { kind: 'twin_failed', status: 503 }]);
  });

  it('never sends a key two batches share twice, whichever arrives first', async () => {
    const d = memory();
    const a = run(d, [key(1), key(2)], 200, 40);
    const b = run(d, [key(2), key(3)], 200, 40);
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(a.sends).toEqual([[[0, 1], 0]]);
    expect(b.sends).toEqual([[[1], 0]]); // key 3 only, after key 2's twin succeeded
    expect(rb.fates.map((f) => f.kind)).toEqual(['duplicate', 'sent']);
    expect(ra.fates.map((f) => f.kind)).toEqual(['sent', 'sent']);
  });

  it('tells the send how many keys already failed, and still sends the new ones', async () => {
    const d = memory();
    const a = run(d, [key(1)], 502, 40);
    const b = run(d, [key(1), key(2)]);
    const [, rb] = await Promise.all([a.result, b.result]);
    expect(b.sends).toEqual([[[1], 1]]);
    expect(rb.fates).toEqual([{ kind: 'twin_failed', status: 502 }, { kind: 'sent' }]);
  });

  it('sends nothing and keeps no flight when every key was delivered', async () => {
    const d = memory();
    await run(d, [key(1)]).result;
    const r = await d.runBatch([key(1)], async () => {
      throw new Error('must not be called');
    });
    expect(r).toEqual({ fates: [{ kind: 'duplicate' }], sent: undefined, bypassed: false });
    expect(d.inFlight).toBe(0);
  });

  it('keeps the invariant under random interleavings: no key in two sends at once, none after its 2xx', async () => {
    const batch = fc.record({
      keys: fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
      startMs: fc.integer({ min: 0, max: 20 }),
      sendMs: fc.integer({ min: 0, max: 15 }),
      status: fc.constantFrom(200, 204, 500, 502),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 8 }), async (batches) => {
        const d = createDeduper({ store: createMemoryStore(), ttlMs: 60_000, waitMs: 200 });
        const busy = new Set<string>();
        const delivered = new Set<string>();
        let overlaps = 0;
        let afterDelivered = 0;
        await Promise.all(
          batches.map(async ({ keys, startMs, sendMs, status }) => {
            await sleep(startMs);
            const ks = keys.map(key);
            const r = await d.runBatch(ks, async (fresh) => {
              const sent = fresh.map((i) => ks[i]!);
              for (const k of sent) {
                if (busy.has(k)) overlaps++;
                if (delivered.has(k)) afterDelivered++;
                busy.add(k);
              }
              await sleep(sendMs);
              for (const k of sent) busy.delete(k);
              if (status < 300) for (const k of sent) delivered.add(k);
              return { status };
            });
            // A key counts as delivered (duplicate) only if some send of it got a 2xx.
            r.fates.forEach((f, i) => {
              if (f.kind === 'duplicate') expect(delivered.has(ks[i]!)).toBe(true);
            });
          }),
        );
        expect(overlaps).toBe(0);
        expect(afterDelivered).toBe(0);
        expect(d.inFlight).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});

describe('runBatch, shared through Redis by two replicas', () => {
  let redis: RedisServer;
  const open: DedupeStore[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await redis?.stop();
  });

  async function replica(errors: DedupeStoreError[] = []): Promise<Deduper> {
    const store = createRedisStore({ url: redis.url, onConnectionError: () => {} });
    open.push(store);
    if (!(await store.ready(5000))) throw new Error('redis store never became ready');
    return createDeduper({ store, ttlMs: 60_000, waitMs: 2_000, pollMinMs: 10, onStoreError: (e) => errors.push(e) });
  }

  it('answers the retry through B of a batch delivered through A with duplicates, sending only the new key', async () => {
    const [a, b] = [await replica(), await replica()];
    await run(a, [key(101), key(102)]).result;
    const retry = run(b, [key(101), key(102), key(103)]);
    expect((await retry.result).fates.map((f) => f.kind)).toEqual(['duplicate', 'duplicate', 'sent']);
    expect(retry.sends).toEqual([[[2], 0]]);
  });

  it('sends keys shared by batches racing through A and B once', async () => {
    const [a, b] = [await replica(), await replica()];
    const ra = run(a, [key(201), key(202), key(203)], 200, 60);
    const rb = run(b, [key(203), key(202), key(204)], 200, 60);
    await Promise.all([ra.result, rb.result]);
    expect([...ra.sentKeys(), ...rb.sentKeys()].sort()).toEqual([201, 202, 203, 204].map(key));
  });

  it('sends everything when Redis is gone (at-least-once), counting the store errors', async () => {
    const errors: DedupeStoreError[] = [];
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', onConnectionError: () => {}, connectTimeoutMs: 200 });
    open.push(store);
    const d = createDeduper({ store, ttlMs: 60_000, waitMs: 2_000, onStoreError: (e) => errors.push(e) });
    const r = run(d, [key(301), key(302)]);
    expect((await r.result).bypassed).toBe(true);
    expect(r.sends).toEqual([[[0, 1], 0]]);
    expect(errors.map((e) => e.op)).toEqual(['claim']);
  });

  it('claims a batch atomically: each key ends in exactly one of two simultaneous claims', async () => {
    const store = createRedisStore({ url: redis.url, onConnectionError: () => {} });
    open.push(store);
    await store.ready(5000);
    const keys = Array.from({ length: 200 }, (_, i) => key(1000 + i));
    const [x, y] = await Promise.all([store.claimAll(keys, 10_000), store.claimAll([...keys].reverse(), 10_000)]);
    const xs = x.states;
    const ys = [...y.states].reverse();
    // Atomic batches: one of the two claimed all 200, the other saw all 200 in flight.
    expect(new Set([xs.every((s) => s === 'claimed'), ys.every((s) => s === 'claimed')])).toEqual(new Set([true, false]));
    expect(xs.map((s, i) => [s, ys[i]].sort().join())).toEqual(keys.map(() => 'claimed,in_flight'));
  });
});
