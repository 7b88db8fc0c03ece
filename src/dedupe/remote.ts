// Keys another replica holds a claim on (SPEC.md §8: two identical deliveries in flight at once —
// the second waits for the first's outcome, bounded): poll the shared store until each is
// committed or released, or the wait is over.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settled } from './flights.js';
import { REMOTE_TWIN_FAILED_STATUS } from './outcome.js';
import type { DedupeStore } from './store.js';

export interface Polling {
  readonly waitMs: number;
  /** First delay, doubling up to the max. */
  readonly pollMinMs: number;
  readonly pollMaxMs: number;
}

/** Each key's outcome, index-aligned; 'bypass': the store failed while polling (the caller then
 *  sends the key itself: at-least-once). */
export function remoteWaiter(store: DedupeStore, polling: Polling, onStoreError: (err: unknown) => void) {
  const { waitMs, pollMinMs, pollMaxMs } = polling;
  return async function awaitRemote(keys: readonly string[]): Promise<Array<Settled | 'bypass'>> {
    const out = new Array<Settled | 'bypass'>(keys.length).fill('timeout');
    let pending = keys.map((_, i) => i);
    const deadline = performance.now() + waitMs;
    let delay = pollMinMs;
    // Bounded twice: by the deadline, and by an iteration cap in case the clock misbehaves.
    for (let i = 0; pending.length > 0 && i < Math.ceil(waitMs / pollMinMs) + 1; i++) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      await sleep(Math.min(delay, remaining));
      delay = Math.min(delay * 2, pollMaxMs);
      let states;
      try {
        states = await store.stateAll(pending.map((k) => keys[k]!));
      } catch (err) {
        onStoreError(err);
        for (const k of pending) out[k] = 'bypass';
        return out;
      }
      // Released (non-2xx) or its replica died: unknown status, a 5xx so Meta retries.
      states.forEach((s, j) => {
        if (s !== 'in_flight') out[pending[j]!] = s === 'delivered' ? 'delivered' : REMOTE_TWIN_FAILED_STATUS;
      });
      pending = pending.filter((_, j) => states[j] === 'in_flight');
    }
    return out;
  };
}
