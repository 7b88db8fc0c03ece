// SPEC.md §2's invariant, under random interleavings: never a 2xx unless the upstream answered
// 2xx to those bytes; never two forwards of one key at once; never a forward after a 2xx.
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createDeduper } from '../../src/dedupe/coordinator.js';
import { createMemoryStore } from '../../src/dedupe/memory.js';
import { sha } from './fake-upstream.js';

const delivery = fc.record({
  key: fc.integer({ min: 1, max: 3 }),
  startMs: fc.integer({ min: 0, max: 30 }),
  upstreamMs: fc.integer({ min: 0, max: 20 }),
  status: fc.constantFrom(200, 200, 204, 500, 502, 429),
});

describe('deduper invariant', () => {
  it('answers 2xx only after an upstream 2xx, and forwards one key at a time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(delivery, { minLength: 1, maxLength: 12 }), async (deliveries) => {
        const d = createDeduper({ store: createMemoryStore(), ttlMs: 60_000, waitMs: 200 });
        const upstream2xx = new Set<string>();
        const busy = new Set<string>();
        let overlaps = 0;
        let forwardsAfter2xx = 0;
        await Promise.all(
          deliveries.map(async ({ key: n, startMs, upstreamMs, status }) => {
            const key = `a:${sha(n)}`;
            await sleep(startMs);
            const result = await d.run(key, async () => {
              if (busy.has(key)) overlaps++;
              if (upstream2xx.has(key)) forwardsAfter2xx++;
              busy.add(key);
              await sleep(upstreamMs);
              busy.delete(key);
              if (status < 300) upstream2xx.add(key);
              return status;
            });
            if (result.status >= 200 && result.status < 300) expect(upstream2xx.has(key)).toBe(true);
            if (result.outcome !== 'forwarded') expect(result.status === 200 || result.status >= 400).toBe(true);
          }),
        );
        expect(overlaps).toBe(0);
        expect(forwardsAfter2xx).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});
