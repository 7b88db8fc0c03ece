// The contract between the deduplication logic (coordinator.ts) and where it remembers
// deliveries (memory.ts, redis.ts). SPEC.md §8: remember a delivery only after the upstream
// answered 2xx; an identical delivery in flight elsewhere is waited for, never forwarded twice.

/** A claim is ours until we commit or release it, or until its hold time runs out. */
export type Claim =
  | { readonly state: 'claimed'; readonly token: string }
  | { readonly state: 'delivered' }
  | { readonly state: 'in_flight' };

export type KeyState = 'delivered' | 'in_flight' | 'absent';

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
  /** True once usable, false after `timeoutMs`. The gateway may await it at startup; a store
   *  that is not ready is not fatal: deliveries are then forwarded without deduplication. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export type StoreOp = 'claim' | 'commit' | 'release' | 'state';

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
