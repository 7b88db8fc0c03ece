import {
  DUPLICATE,
  FORWARD_THREW_STATUS,
  WAIT_TIMEOUT,
  is2xx,
  type DedupeResult,
} from './outcome.js';
import { createFlights, type Settled } from './flights.js';
import { remoteWaiter } from './remote.js';
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

/** What became of one key of a batch. Only `sent` keys went out, in the one send of the batch. */
export type KeyFate =
  | { readonly kind: 'sent' }
  /** Delivered before with a 2xx (or by a twin in flight that got one). */
  | { readonly kind: 'duplicate' }
  /** A twin in flight failed with `status` (502 when it ran on another replica). */
  | { readonly kind: 'twin_failed'; readonly status: number }
  /** A twin was still in flight after waitMs. */
  | { readonly kind: 'wait_timeout' };

export interface BatchResult<T> {
  /** Index-aligned with the keys. */
  readonly fates: readonly KeyFate[];
  /** The send's result, when some keys were new (or the store failed: at-least-once). */
  readonly sent: T | undefined;
  /** The store failed for some key, which was sent without deduplication. */
  readonly bypassed: boolean;
}

export interface Deduper {
  /** Forward `forward` at most once per key across everyone sharing the store (see outcome.ts).
   *  `forward` resolves with the upstream status (502/504 for unreachable/timeout); it must be
   *  bounded by the upstream timeout. If it throws, the claim is released and the error rethrown. */
  run(key: string, forward: () => Promise<number>): Promise<DedupeResult>;
  /** run() for several keys that travel together (one delivery's events for one destination):
   *  waits for the keys in flight elsewhere, then calls `send` once with the indexes of the keys
   *  nobody delivered yet — never for a key delivered before or in flight elsewhere — and
   *  remembers them if it resolves with a 2xx. `failing`: how many keys already failed (a twin
   *  failed or is still in flight), so the batch as a whole cannot succeed. */
  runBatch<T extends { readonly status: number }>(
    keys: readonly string[],
    send: (fresh: readonly number[], failing: number) => Promise<T>,
  ): Promise<BatchResult<T>>;
  /** Keys with a forward or wait under way in this process. */
  readonly inFlight: number;
}

const SENT: KeyFate = Object.freeze({ kind: 'sent' });
const DUPLICATE_FATE: KeyFate = Object.freeze({ kind: 'duplicate' });
const TIMEOUT_FATE: KeyFate = Object.freeze({ kind: 'wait_timeout' });

function fateOf(settled: Settled): KeyFate {
  if (settled === 'delivered') return DUPLICATE_FATE;
  if (settled === 'timeout') return TIMEOUT_FATE;
  return { kind: 'twin_failed', status: settled };
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
  // One leader per key per process; identical keys arriving meanwhile wait on its outcome
  // instead of asking the store, so a local twin learns the exact outcome at once.
  const flights = createFlights(waitMs);
  const awaitRemote = remoteWaiter(store, { waitMs, pollMinMs, pollMaxMs }, (err) => storeFailed(err, 'state'));

  function storeFailed(err: unknown, op: StoreOp): void {
    const error = err instanceof DedupeStoreError ? err : new DedupeStoreError(op, err);
    options.onStoreError?.(error);
    warn({ op, err: error.message }, 'dedupe store unavailable: forwarding without deduplication');
  }

  async function runBatch<T extends { readonly status: number }>(
    keys: readonly string[],
    send: (fresh: readonly number[], failing: number) => Promise<T>,
  ): Promise<BatchResult<T>> {
    const fates = new Array<KeyFate | undefined>(keys.length);
    // Registered synchronously, before the first await, so a twin arriving during the claim
    // round trip joins these flights instead of racing them to the store.
    const { led, joined, repeats, settle, abandon } = flights.enter(keys);
    try {
      let bypassed = false;
      let token: string | undefined;
      const claimed: number[] = [];
      const fresh: number[] = [];
      const remote: number[] = [];
      if (led.length > 0) {
        try {
          const claim = await store.claimAll(led.map((i) => keys[i]!), claimHoldMs);
          token = claim.token;
          claim.states.forEach((state, j) => {
            const i = led[j]!;
            if (state === 'claimed') claimed.push(i);
            else if (state === 'in_flight') remote.push(i);
            else {
              fates[i] = DUPLICATE_FATE;
              settle(keys[i]!, 'delivered');
            }
          });
          fresh.push(...claimed);
        } catch (err) {
          storeFailed(err, 'claim');
          bypassed = true;
          fresh.push(...led);
        }
      }
      const [local, elsewhere] = await Promise.all([flights.join(joined.map(([, twin]) => twin)), awaitRemote(remote.map((i) => keys[i]!))]);
      joined.forEach(([i], j) => (fates[i] = fateOf(local[j]!)));
      remote.forEach((i, j) => {
        const settled = elsewhere[j]!;
        if (settled === 'bypass') {
          bypassed = true;
          fresh.push(i);
          return;
        }
        fates[i] = fateOf(settled);
        settle(keys[i]!, settled);
      });
      const sent = fresh.length > 0 ? await sendFresh(keys, fresh.sort((a, b) => a - b), claimed, token, fates, send, settle) : undefined;
      for (const [i, first] of repeats) fates[i] = repeatOf(fates[first]!, sent?.status);
      return { fates: fates as KeyFate[], sent, bypassed };
    } finally {
      abandon();
    }
  }

  /** The one send of a batch; remembers its keys on a 2xx, forgets its claims otherwise. */
  async function sendFresh<T extends { readonly status: number }>(
    keys: readonly string[],
    fresh: readonly number[],
    claimed: readonly number[],
    token: string | undefined,
    fates: Array<KeyFate | undefined>,
    send: (fresh: readonly number[], failing: number) => Promise<T>,
    settle: (key: string, settled: Settled) => void,
  ): Promise<T> {
    const claimedKeys = claimed.map((i) => keys[i]!);
    const failing = fates.filter((f) => f !== undefined && f.kind !== 'duplicate').length;
    let sent: T;
    try {
      sent = await send(fresh, failing);
    } catch (err) {
      if (token !== undefined && claimedKeys.length > 0) await store.releaseAll(claimedKeys, token).catch((e: unknown) => storeFailed(e, 'release'));
      for (const i of fresh) settle(keys[i]!, FORWARD_THREW_STATUS);
      throw err;
    }
    const ok = is2xx(sent.status);
    try {
      // Remember only a 2xx: after anything else Meta's retry must reach the upstream again.
      if (claimedKeys.length > 0) {
        if (ok) await store.commitAll(claimedKeys, ttlMs);
        else await store.releaseAll(claimedKeys, token!);
      }
    } catch (err) {
      // A lost commit costs one duplicate forward later; a lost release delays the retry's
      // forward until the claim's hold expires (the retry waits, then gets a 5xx).
      storeFailed(err, ok ? 'commit' : 'release');
    }
    for (const i of fresh) {
      fates[i] = SENT;
      settle(keys[i]!, ok ? 'delivered' : sent.status);
    }
    return sent;
  }

  return {
    async run(key, forward) {
      const { fates, sent, bypassed } = await runBatch([key], async () => ({ status: await forward() }));
      const fate = fates[0]!;
      if (fate.kind === 'sent') return { outcome: 'forwarded', status: sent!.status, bypassed };
      if (fate.kind === 'duplicate') return DUPLICATE;
      if (fate.kind === 'wait_timeout') return WAIT_TIMEOUT;
      return { outcome: 'twin_failed', status: fate.status };
    },
    runBatch,
    get inFlight() {
      return flights.size;
    },
  };
}

/** A key listed twice in one batch travels once: the repeat shares the first one's fate. */
function repeatOf(first: KeyFate, status: number | undefined): KeyFate {
  if (first.kind !== 'sent') return first;
  return is2xx(status!) ? DUPLICATE_FATE : { kind: 'twin_failed', status: status! };
}
