import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/dedupe/memory.js';
import { sha } from './fake-upstream.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('memory store', () => {
  it('claims a new key once; the next claim sees it in flight', async () => {
    const store = createMemoryStore();
    expect((await store.claim(`a:${sha(1)}`, 1000)).state).toBe('claimed');
    expect(await store.claim(`a:${sha(1)}`, 1000)).toEqual({ state: 'in_flight' });
  });

  it('remembers a committed key as delivered', async () => {
    const store = createMemoryStore();
    await store.claim(`a:${sha(1)}`, 1000);
    await store.commit(`a:${sha(1)}`, 60_000);
    expect(await store.claim(`a:${sha(1)}`, 1000)).toEqual({ state: 'delivered' });
    expect(await store.state(`a:${sha(1)}`)).toBe('delivered');
  });

  it('forgets a released claim so it can be claimed again', async () => {
    const store = createMemoryStore();
    const claim = await store.claim(`a:${sha(1)}`, 1000);
    if (claim.state !== 'claimed') throw new Error('expected a claim');
    await store.release(`a:${sha(1)}`, claim.token);
    expect(await store.state(`a:${sha(1)}`)).toBe('absent');
    expect((await store.claim(`a:${sha(1)}`, 1000)).state).toBe('claimed');
  });

  it('does not release a claim made with another token', async () => {
    const store = createMemoryStore();
    await store.claim(`a:${sha(1)}`, 1000);
    await store.release(`a:${sha(1)}`, 'someone-else');
    expect(await store.state(`a:${sha(1)}`)).toBe('in_flight');
  });

  it('forgets a delivery once its TTL has passed', async () => {
    const c = clock();
    const store = createMemoryStore({ now: c.now });
    await store.commit(`a:${sha(1)}`, 10_000);
    c.advance(9_999);
    expect(await store.state(`a:${sha(1)}`)).toBe('delivered');
    c.advance(1);
    expect(await store.state(`a:${sha(1)}`)).toBe('absent');
    expect(store.size).toBe(0);
  });

  it('lets a claim lapse after its hold time (a forward that never finished)', async () => {
    const c = clock();
    const store = createMemoryStore({ now: c.now });
    await store.claim(`a:${sha(1)}`, 500);
    c.advance(500);
    expect((await store.claim(`a:${sha(1)}`, 500)).state).toBe('claimed');
  });

  it('never holds more than maxEntries deliveries, evicting the least recently used', async () => {
    const store = createMemoryStore({ maxEntries: 3 });
    for (let i = 1; i <= 3; i++) await store.commit(`a:${sha(i)}`, 60_000);
    expect(await store.state(`a:${sha(1)}`)).toBe('delivered'); // 1 is now the most recent
    await store.commit(`a:${sha(4)}`, 60_000);
    expect(store.size).toBe(3);
    expect(await store.state(`a:${sha(2)}`)).toBe('absent');
    expect(await store.state(`a:${sha(1)}`)).toBe('delivered');
    expect(await store.state(`a:${sha(4)}`)).toBe('delivered');
  });

  it('stays bounded under a long stream of distinct deliveries', async () => {
    const store = createMemoryStore({ maxEntries: 1000 });
    for (let i = 0; i < 20_000; i++) {
      const claim = await store.claim(`a:${sha(i)}`, 1000);
      if (claim.state === 'claimed') await store.commit(`a:${sha(i)}`, 60_000);
    }
    expect(store.size).toBe(1000);
    expect(await store.state(`a:${sha(19_999)}`)).toBe('delivered');
  });

  it('drops expired entries as new ones arrive, without being asked about them', async () => {
    const c = clock();
    const store = createMemoryStore({ now: c.now });
    for (let i = 0; i < 100; i++) await store.commit(`a:${sha(i)}`, 1000);
    c.advance(2000);
    for (let i = 100; i < 200; i++) await store.commit(`a:${sha(i)}`, 1000);
    expect(store.size).toBe(100);
  });

  it('keeps the same body hash apart for two apps', async () => {
    const store = createMemoryStore();
    await store.commit(`shop:${sha(7)}`, 60_000);
    expect(await store.state(`crm:${sha(7)}`)).toBe('absent');
    expect(await store.state(`shop:${sha(7)}`)).toBe('delivered');
  });

  it('accepts keys of any shape', async () => {
    const store = createMemoryStore();
    await store.commit('not-a-digest', 60_000);
    await store.commit(`ℌ:${sha(7)}`, 60_000);
    expect(await store.state('not-a-digest')).toBe('delivered');
    expect(await store.state(`ℌ:${sha(7)}`)).toBe('delivered');
  });

  it('refuses a cap that is not a positive integer', () => {
    expect(() => createMemoryStore({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => createMemoryStore({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});
