// The documented memory bound (≈ 86 B per remembered delivery, 1M ≈ 82 MB; method and full
// figure in bench/dedupe-memory.mjs) held as a regression guard on a smaller sample.
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/dedupe/memory.js';

// Exposes gc() without a command-line flag, so plain `vitest run` can measure the heap.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe('memory store bound', () => {
  it('costs under 120 bytes of heap per remembered delivery', async () => {
    const n = 200_000;
    const before = heapAfterGc();
    const store = createMemoryStore({ maxEntries: n });
    for (let i = 0; i < n; i++) {
      await store.commit(`app:${createHash('sha256').update(String(i)).digest('hex')}`, 129_600_000);
    }
    const perKey = (heapAfterGc() - before) / n;
    expect(store.size).toBe(n);
    expect(perKey).toBeLessThan(120);
    await store.close();
  });
});
