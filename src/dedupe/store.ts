// The contract between the deduplication logic (coordinator.ts) and where it remembers
// deliveries (memory.ts, redis.ts). SPEC.md §8: remember a delivery only after the upstream
// answered 2xx; an identical delivery in flight elsewhere is waited for, never forwarded twice.

/** A claim is ours until we commit or release it, or until its hold time runs out. */
export type Claim =
  | { readonly state: 'claimed'; readonly token: string }
  | { readonly state: 'delivered' }
  | { readonly state: 'in_flight' };

export type KeyState = 'delivered' | 'in_flight' | 'absent';

/** The claim of a batch of keys (one delivery's events for one destination): one token for the
 *  keys claimed, and each key's state, index-aligned with the keys asked for. */
export interface BatchClaim {
  readonly token: string;
  readonly states: ReadonlyArray<'claimed' | 'delivered' | 'in_flight'>;
}

export interface DedupeStore {
  /** Atomically claim `key` for one forward, held for `holdMs` unless committed or released. */
  claim(key: string, holdMs: number): Promise<Claim>;
  /** The upstream answered 2xx: remember the delivery for `ttlMs` (replaces any claim). */
  commit(key: string, ttlMs: number): Promise<void>;
  /** The forward failed: forget our claim so the next identical delivery is forwarded again.
   *  A claim that is no longer ours (expired, then claimed by another) is left alone. */
  release(key: string, token: string): Promise<void>;
  /** Read-only look, for waiters polling an in-flight delivery held by another replica. */
  state(key: string): Promise<KeyState>;
  /** claim() for several keys at once, atomically: no other claim interleaves with the batch,
   *  so two deliveries sharing events can never each hold half of them. */
  claimAll(keys: readonly string[], holdMs: number): Promise<BatchClaim>;
  /** commit() for several keys, in one round trip. */
  commitAll(keys: readonly string[], ttlMs: number): Promise<void>;
  /** release() for several keys claimed with one token, in one round trip. */
  releaseAll(keys: readonly string[], token: string): Promise<void>;
  /** state() for several keys, in one round trip. */
  stateAll(keys: readonly string[]): Promise<KeyState[]>;
  /** True once usable, false after `timeoutMs`. The gateway may await it at startup; a store
   *  that is not ready is not fatal: deliveries are then forwarded without deduplication. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export type StoreOp = 'claim' | 'commit' | 'release' | 'state';

/** The one-key operations, as batches of one (both stores implement the batch forms). */
export function singleKeyOps(
  store: Pick<DedupeStore, 'claimAll' | 'commitAll' | 'releaseAll' | 'stateAll'>,
): Pick<DedupeStore, 'claim' | 'commit' | 'release' | 'state'> {
  return {
    claim: async (key, holdMs) => {
      const { token, states } = await store.claimAll([key], holdMs);
      return states[0] === 'claimed' ? { state: 'claimed', token } : { state: states[0]! };
    },
    commit: (key, ttlMs) => store.commitAll([key], ttlMs),
    release: (key, token) => store.releaseAll([key], token),
    state: async (key) => (await store.stateAll([key]))[0]!,
  };
}

/**
 * Every store failure surfaces as this one type, so the coordinator can fall back to
 * forwarding (at-least-once: a dead store must never lose a delivery) and count it in
 * `hubgate_dedupe_store_errors_total`.
 */
export class DedupeStoreError extends Error {
  readonly code = 'dedupe_store_error';
  readonly op: StoreOp;

  constructor(op: StoreOp, cause: unknown) {
    // The cause's message only: Redis and ioredis messages name the failure, not the key or
    // the connection URL (which may hold a password), so the message is safe to log.
    super(`dedupe store ${op} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DedupeStoreError';
    this.op = op;
  }
}

export function isDedupeStoreError(value: unknown): value is DedupeStoreError {
  return value instanceof DedupeStoreError;
}
