// SPEC.md §8 — deduplication of Meta's retries. The gateway needs only this file's exports.
import { createMemoryStore } from './memory.js';
import { createLazyRedisStore } from './lazy.js';
import type { DedupeStore } from './store.js';

export { createDeduper, type BatchResult, type Deduper, type DeduperOptions, type KeyFate } from './coordinator.js';
export { bodySha256, dedupeKey } from './key.js';
export { createMemoryStore, DEFAULT_MAX_ENTRIES, type MemoryStoreOptions } from './memory.js';
export { type DedupeResult } from './outcome.js';
export type { RedisStoreOptions } from './redis.js';
export { DedupeStoreError, isDedupeStoreError, type BatchClaim, type Claim, type DedupeStore, type KeyState } from './store.js';
export { type DedupeLog } from './warn.js';

/** `dedupe.store` of an app file, validated and with secrets resolved by config/schema.ts. */
export type DedupeStoreConfig = { readonly memory: { readonly maxEntries?: number } } | { readonly redis: string };

/** 36 h: how long Meta retries a delivery (WhatsApp: 7 days — set ttlSeconds: 604800). */
export const DEFAULT_TTL_SECONDS = 129_600;

export function createDedupeStore(
  config: DedupeStoreConfig,
  hooks: { onConnectionError?: (err: Error) => void } = {},
): DedupeStore {
  if ('redis' in config) return createLazyRedisStore({ url: config.redis, onConnectionError: hooks.onConnectionError });
  return createMemoryStore({ maxEntries: config.memory.maxEntries });
}
