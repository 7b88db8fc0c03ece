import { describe, expect, it } from 'vitest';
import { createDeduper, type DeduperOptions } from '../../src/dedupe/coordinator.js';
import { createMemoryStore } from '../../src/dedupe/memory.js';
import { DedupeStoreError, type DedupeStore } from '../../src/dedupe/store.js';
import { fakeUpstream, sha } from './fake-upstream.js';

const KEY = `shop:${sha(1)}`;

function deduper(overrides: Partial<DeduperOptions> = {}) {
  return createDeduper({ store: createMemoryStore(), ttlMs: 60_000, waitMs: 2000, ...overrides });
}

describe('deduper, in memory', () => {
  it('forwards a first delivery', async () => {
    const upstream = fakeUpstream();
    expect(await deduper().run(KEY, upstream.forward(KEY))).toEqual({ outcome: 'forwarded', status: 200, bypassed: false });
    expect(upstream.calls()).toBe(1);
  });

  it('answers a retry of a delivery the upstream took with 2xx as a duplicate, not forwarded', async () => {
    const d = deduper();
    const upstream = fakeUpstream({ status: 204 });
    await d.run(KEY, upstream.forward(KEY));
    expect(await d.run(KEY, upstream.forward(KEY))).toEqual({ outcome: 'duplicate', status: 200 });
    expect(upstream.calls()).toBe(1);
  });

  it('forwards again a delivery whose first attempt got a 500', async () => {
    const d = deduper();
    const failing = fakeUpstream({ status: 500 });
    const healthy = fakeUpstream();
    expect(await d.run(KEY, failing.forward(KEY))).toMatchObject({ outcome: 'forwarded', status: 500 });
    expect(await d.run(KEY, healthy.forward(KEY))).toMatchObject({ outcome: 'forwarded', status: 200 });
    expect(healthy.calls()).toBe(1);
  });

  it('forwards again once the remembered delivery has expired', async () => {
    let t = 0;
    const d = deduper({ store: createMemoryStore({ now: () => t }), ttlMs: 129_600_000 });
    const upstream = fakeUpstream();
    await d.run(KEY, upstream.forward(KEY));
    t += 129_600_000 - 1;
    expect((await d.run(KEY, upstream.forward(KEY))).outcome).toBe('duplicate');
    t += 1;
    expect((await d.run(KEY, upstream.forward(KEY))).outcome).toBe('forwarded');
    expect(upstream.calls()).toBe(2);
  });

  it('forwards identical deliveries in flight at once only once; the others are duplicates', async () => {
    const d = deduper();
    const upstream = fakeUpstream({ delayMs: 50 });
    const results = await Promise.all(Array.from({ length: 20 }, () => d.run(KEY, upstream.forward(KEY))));
    expect(upstream.calls()).toBe(1);
    expect(results.filter((r) => r.outcome === 'forwarded')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(19);
    expect(d.inFlight).toBe(0);
  });

  it('gives identical in-flight deliveries the status of their twin that failed', async () => {
    const d = deduper();
    const upstream = fakeUpstream({ status: 503, delayMs: 30 });
    const results = await Promise.all([1, 2, 3].map(() => d.run(KEY, upstream.forward(KEY))));
    expect(upstream.calls()).toBe(1);
    expect(results.map((r) => r.status)).toEqual([503, 503, 503]);
    expect(results.slice(1).map((r) => r.outcome)).toEqual(['twin_failed', 'twin_failed']);
    expect((await d.run(KEY, fakeUpstream().forward(KEY))).outcome).toBe('forwarded');
  });

  it('answers 504 to a twin still in flight after waitMs, without forwarding it', async () => {
    const d = deduper({ waitMs: 40 });
    const upstream = fakeUpstream({ delayMs: 150 });
    const first = d.run(KEY, upstream.forward(KEY));
    expect(await d.run(KEY, upstream.forward(KEY))).toEqual({ outcome: 'wait_timeout', status: 504 });
    expect((await first).status).toBe(200);
    expect(upstream.calls()).toBe(1);
  });

  it('forwards different bodies and different apps independently', async () => {
    const d = deduper();
    const upstream = fakeUpstream({ delayMs: 10 });
    const keys = [`shop:${sha(1)}`, `shop:${sha(2)}`, `crm:${sha(1)}`];
    await Promise.all(keys.map((k) => d.run(k, upstream.forward(k))));
    expect(keys.map((k) => upstream.calls(k))).toEqual([1, 1, 1]);
  });

  it('releases the claim and rethrows when forward throws; twins get a 502', async () => {
    const d = deduper();
    let calls = 0;
    const boom = async (): Promise<number> => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('proxy bug');
    };
    const [first, twin] = await Promise.allSettled([d.run(KEY, boom), d.run(KEY, boom)]);
    expect(first).toMatchObject({ status: 'rejected', reason: { message: 'proxy bug' } });
    expect(twin).toEqual({ status: 'fulfilled', value: { outcome: 'twin_failed', status: 502 } });
    expect(calls).toBe(1);
    expect((await d.run(KEY, fakeUpstream().forward(KEY))).outcome).toBe('forwarded');
  });
});

describe('deduper, store failing', () => {
  function brokenStore(failing: Set<string>): DedupeStore {
    const inner = createMemoryStore();
    const wrap =
      <A extends unknown[], R>(op: 'claim' | 'commit' | 'release' | 'state', fn: (...a: A) => Promise<R>) =>
      async (...a: A): Promise<R> => {
        if (failing.has(op)) throw new DedupeStoreError(op, new Error('Connection is closed.'));
        return fn(...a);
      };
    return {
      claim: wrap('claim', inner.claim),
      commit: wrap('commit', inner.commit),
      release: wrap('release', inner.release),
      state: wrap('state', inner.state),
      claimAll: wrap('claim', inner.claimAll),
      commitAll: wrap('commit', inner.commitAll),
      releaseAll: wrap('release', inner.releaseAll),
      stateAll: wrap('state', inner.stateAll),
      ready: inner.ready,
      close: inner.close,
    };
  }

  it('forwards anyway, counts the error and warns when the store cannot claim', async () => {
    const errors: DedupeStoreError[] = [];
    const warnings: unknown[] = [];
    const d = deduper({
      store: brokenStore(new Set(['claim'])),
      onStoreError: (e) => errors.push(e),
      log: { warn: (obj) => warnings.push(obj) },
    });
    const upstream = fakeUpstream();
    expect(await d.run(KEY, upstream.forward(KEY))).toEqual({ outcome: 'forwarded', status: 200, bypassed: true });
    expect(await d.run(KEY, upstream.forward(KEY))).toMatchObject({ outcome: 'forwarded', bypassed: true });
    expect(upstream.calls()).toBe(2);
    expect(errors.map((e) => e.op)).toEqual(['claim', 'claim']);
    expect(warnings).toEqual([{ op: 'claim', err: 'dedupe store claim failed: Connection is closed.' }]);
  });

  it('keeps the upstream answer when remembering it fails', async () => {
    const errors: DedupeStoreError[] = [];
    const d = deduper({ store: brokenStore(new Set(['commit'])), onStoreError: (e) => errors.push(e) });
    expect(await d.run(KEY, fakeUpstream().forward(KEY))).toEqual({ outcome: 'forwarded', status: 200, bypassed: false });
    expect(errors.map((e) => e.op)).toEqual(['commit']);
  });

  it('still forwards identical deliveries in flight at once only once in this process', async () => {
    const d = deduper({ store: brokenStore(new Set(['claim'])) });
    const upstream = fakeUpstream({ delayMs: 30 });
    const results = await Promise.all([1, 2, 3].map(() => d.run(KEY, upstream.forward(KEY))));
    expect(upstream.calls()).toBe(1);
    expect(results.map((r) => r.outcome)).toEqual(['forwarded', 'duplicate', 'duplicate']);
  });
});
