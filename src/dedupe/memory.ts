import { performance } from 'node:perf_hooks';
import { singleKeyOps, type DedupeStore, type KeyState } from './store.js';

/**
 * In-process store: a bounded LRU with TTL. No timer per key — entries expire lazily when
 * touched and the least recently used one is evicted when the cap is reached, so memory is
 * bounded by `maxEntries` whatever Meta sends. One process only: with `workers > 1` or
 * several replicas, identical deliveries reaching different processes are not deduplicated
 * (use the Redis store).
 */
export interface MemoryStoreOptions {
  /** Cap on remembered deliveries; the least recently used one is evicted beyond it. */
  maxEntries?: number;
  /** Monotonic clock in ms; injected by tests. */
  now?: () => number;
}

/** Measured ≈ 86 bytes of heap per remembered delivery: 1M ≈ 82 MB (bench/dedupe-memory.mjs). */
export const DEFAULT_MAX_ENTRIES = 1_000_000;
/** V8 Maps hold at most 2^24 entries; stay clear of the hard limit. */
export const MAX_ENTRIES_LIMIT = 16_000_000;

// Opportunistic clean-up per write: enough to keep pace with inserts, bounded per call.
const PURGE_PER_WRITE = 2;
const HEX64 = /^[0-9a-f]{64}$/;

interface InFlight {
  readonly token: string;
  readonly until: number;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): DedupeStore & { readonly size: number } {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_ENTRIES_LIMIT) {
    throw new RangeError(`maxEntries must be an integer from 1 to ${MAX_ENTRIES_LIMIT}`);
  }
  const now = options.now ?? (() => performance.now());
  const epoch = now();
  // Map keeps insertion order: re-inserting on use makes the first key the least recently used.
  // Values are expiry times in whole seconds since `epoch`: small integers stay unboxed (Smi),
  // which saves a 16-byte heap number per entry; an entry may outlive its TTL by < 1 s.
  const delivered = new Map<string, number>();
  const inFlight = new Map<string, InFlight>();
  let seq = 0;

  const isLive = (expirySec: number): boolean => expirySec * 1000 > now() - epoch;

  /** Drop up to PURGE_PER_WRITE expired entries from the old end, so memory shrinks when traffic does. */
  function purgeHead<V>(map: Map<string, V>, expired: (value: V) => boolean): void {
    for (let n = 0; n < PURGE_PER_WRITE; n++) {
      const oldest = map.entries().next();
      if (oldest.done === true || !expired(oldest.value[1])) return;
      map.delete(oldest.value[0]);
    }
  }

  function liveDelivered(k: string): boolean {
    const expiry = delivered.get(k);
    if (expiry === undefined) return false;
    if (!isLive(expiry)) {
      delivered.delete(k);
      return false;
    }
    delivered.delete(k); // LRU touch: move to the most recent end
    delivered.set(k, expiry);
    return true;
  }

  function liveInFlight(k: string): InFlight | undefined {
    const entry = inFlight.get(k);
    if (entry === undefined) return undefined;
    if (entry.until > now()) return entry;
    inFlight.delete(k);
    return undefined;
  }

  function evictBeyond(map: Map<string, unknown>): void {
    while (map.size > maxEntries) {
      const oldest = map.keys().next();
      if (oldest.done === true) return;
      map.delete(oldest.value);
    }
  }

  function claim(key: string, holdMs: number, token: string): 'claimed' | 'delivered' | 'in_flight' {
    const k = compactKey(key);
    if (liveDelivered(k)) return 'delivered';
    if (liveInFlight(k) !== undefined) return 'in_flight';
    inFlight.set(k, { token, until: now() + holdMs });
    purgeHead(inFlight, (v) => v.until <= now());
    evictBeyond(inFlight);
    return 'claimed';
  }

  function commit(key: string, ttlMs: number): void {
    const k = compactKey(key);
    inFlight.delete(k);
    delivered.delete(k);
    delivered.set(k, Math.max(1, Math.ceil((now() + ttlMs - epoch) / 1000)));
    purgeHead(delivered, (v) => !isLive(v));
    evictBeyond(delivered);
  }

  function release(key: string, token: string): void {
    const k = compactKey(key);
    if (inFlight.get(k)?.token === token) inFlight.delete(k);
  }

  function state(key: string): KeyState {
    const k = compactKey(key);
    if (liveDelivered(k)) return 'delivered';
    return liveInFlight(k) !== undefined ? 'in_flight' : 'absent';
  }

  // Synchronous inside each call, so a batch is atomic with respect to every other caller.
  const batches: Pick<DedupeStore, 'claimAll' | 'commitAll' | 'releaseAll' | 'stateAll'> = {
    claimAll: async (keys, holdMs) => {
      const token = String(++seq);
      return { token, states: keys.map((key) => claim(key, holdMs, token)) };
    },
    commitAll: async (keys, ttlMs) => {
      for (const key of keys) commit(key, ttlMs);
    },
    releaseAll: async (keys, token) => {
      for (const key of keys) release(key, token);
    },
    stateAll: async (keys) => keys.map(state),
  };

  return {
    ...batches,
    ...singleKeyOps(batches),
    ready: async () => true,
    close: async () => {
      delivered.clear();
      inFlight.clear();
    },
    get size() {
      return delivered.size + inFlight.size;
    },
  };
}

/**
 * `app:<64 hex>` → `app:<32 raw bytes>` as a one-byte string: half the key memory, same
 * identity. Keys of any other shape (or an app name outside Latin-1) are kept as they are.
 */
function compactKey(key: string): string {
  const n = key.length - 64;
  if (n < 1 || key.charCodeAt(n - 1) !== 0x3a || !HEX64.test(key.slice(n))) return key;
  const buf = Buffer.allocUnsafe(n + 32);
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c > 0xff) return key;
    buf[i] = c;
  }
  buf.write(key.slice(n), n, 'hex');
  return buf.toString('latin1');
}
