import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DUPLICATE,
  FORWARD_THREW_STATUS,
  REMOTE_TWIN_FAILED_STATUS,
  WAIT_TIMEOUT,
  is2xx,
  waiterResult,
  type DedupeResult,
} from './outcome.js';
import { DedupeStoreError, type DedupeStore, type StoreOp } from './store.js';
import { throttledWarn, type DedupeLog } from './warn.js';

export interface DeduperOptions {
  store: DedupeStore;
  /** How long a 2xx delivery is remembered (`dedupe.ttlSeconds`). */
  ttlMs: number;
  /** How long an identical delivery waits for its in-flight twin: `limits.upstreamTimeoutMs`,
   *  since the twin's forward cannot take longer. */
  waitMs: number;
  /** How long a claim holds in the store if its replica dies mid-forward. Must exceed the
   *  longest forward, or a slow twin could be forwarded again. Default: waitMs + 5 s. */
  claimHoldMs?: number;
  /** Polling of another replica's claim: first delay, doubling up to the max. */
  pollMinMs?: number;
  pollMaxMs?: number;
  log?: DedupeLog;
  /** Count `hubgate_dedupe_store_errors_total` here. */
  onStoreError?: (err: DedupeStoreError) => void;
}

export interface Deduper {
  /** Forward `forward` at most once per key across everyone sharing the store (see outcome.ts).
   *  `forward` resolves with the upstream status (502/504 for unreachable/timeout); it must be
   *  bounded by the upstream timeout. If it throws, the claim is released and the error rethrown. */
  run(key: string, forward: () => Promise<number>): Promise<DedupeResult>;
  /** Keys with a forward or wait under way in this process. */
  readonly inFlight: number;
}

export function createDeduper(options: DeduperOptions): Deduper {
  const { store, ttlMs, waitMs } = options;
  const claimHoldMs = options.claimHoldMs ?? waitMs + 5000;
  const pollMinMs = options.pollMinMs ?? 20;
  const pollMaxMs = options.pollMaxMs ?? 250;
  for (const [name, value, min] of [
    ['ttlMs', ttlMs, 1],
    ['waitMs', waitMs, 0],
    ['claimHoldMs', claimHoldMs, 1],
    ['pollMinMs', pollMinMs, 1],
    ['pollMaxMs', pollMaxMs, pollMinMs],
  ] as const) {
    if (!Number.isFinite(value) || value < min) throw new RangeError(`dedupe: ${name} must be a number ≥ ${min}`);
  }
  const warn = throttledWarn(options.log);
  // One leader per key per process; identical requests arriving meanwhile wait on its promise
  // instead of asking the store, so a local twin learns the exact outcome at once.
  const flights = new Map<string, Promise<DedupeResult>>();

  function storeFailed(err: unknown, op: StoreOp): void {
    const error = err instanceof DedupeStoreError ? err : new DedupeStoreError(op, err);
    options.onStoreError?.(error);
    warn({ op, err: error.message }, 'dedupe store unavailable: forwarding without deduplication');
  }

  async function bypass(forward: () => Promise<number>): Promise<DedupeResult> {
    return { outcome: 'forwarded', status: await forward(), bypassed: true };
  }

  async function forwardClaimed(key: string, token: string, forward: () => Promise<number>): Promise<DedupeResult> {
    let status: number;
    try {
      status = await forward();
    } catch (err) {
      await store.release(key, token).catch((e: unknown) => storeFailed(e, 'release'));
      throw err;
    }
    try {
      // Remember only a 2xx: after anything else Meta's retry must reach the upstream again.
      if (is2xx(status)) await store.commit(key, ttlMs);
      else await store.release(key, token);
    } catch (err) {
      // A lost commit costs one duplicate forward later; a lost release delays the retry's
      // forward until the claim's hold expires (the retry waits, then gets a 5xx).
      storeFailed(err, is2xx(status) ? 'commit' : 'release');
    }
    return { outcome: 'forwarded', status, bypassed: false };
  }

  /** Another replica holds the claim: poll until it commits, releases, or waitMs passes. */
  async function awaitRemote(key: string, forward: () => Promise<number>): Promise<DedupeResult> {
    const deadline = performance.now() + waitMs;
    let delay = pollMinMs;
    // Bounded twice: by the deadline, and by an iteration cap in case the clock misbehaves.
    for (let i = 0; i < Math.ceil(waitMs / pollMinMs) + 1; i++) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      await sleep(Math.min(delay, remaining));
      delay = Math.min(delay * 2, pollMaxMs);
      let state;
      try {
        state = await store.state(key);
      } catch (err) {
        storeFailed(err, 'state');
        return bypass(forward);
      }
      if (state === 'delivered') return DUPLICATE;
      // Released (non-2xx) or its replica died: unknown status, a 5xx so Meta retries.
      if (state === 'absent') return { outcome: 'twin_failed', status: REMOTE_TWIN_FAILED_STATUS };
    }
    return WAIT_TIMEOUT;
  }

  async function lead(key: string, forward: () => Promise<number>): Promise<DedupeResult> {
    let claim;
    try {
      claim = await store.claim(key, claimHoldMs);
    } catch (err) {
      storeFailed(err, 'claim');
      return bypass(forward);
    }
    if (claim.state === 'delivered') return DUPLICATE;
    if (claim.state === 'in_flight') return awaitRemote(key, forward);
    return forwardClaimed(key, claim.token, forward);
  }

  async function join(twin: Promise<DedupeResult>): Promise<DedupeResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DedupeResult>((resolve) => {
      timer = setTimeout(() => resolve(WAIT_TIMEOUT), waitMs);
    });
    try {
      return await Promise.race([twin.then(waiterResult, () => failedTwin()), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    run(key, forward) {
      const twin = flights.get(key);
      if (twin !== undefined) return join(twin);
      // Registered synchronously, before the first await, so a twin arriving during the
      // claim round trip joins this flight instead of racing it to the store.
      const flight = lead(key, forward).finally(() => flights.delete(key));
      flights.set(key, flight);
      return flight;
    },
    get inFlight() {
      return flights.size;
    },
  };
}

function failedTwin(): DedupeResult {
  return { outcome: 'twin_failed', status: FORWARD_THREW_STATUS };
}
