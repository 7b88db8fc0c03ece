// A Redis store that loads ioredis only when a config names one: a gateway without a Redis
// store never carries it (about 17 MiB of resident memory on Node 24, issue 10 §4). The module
// is imported on the first call (startup's `ready()`), and every operation waits for it.
import type { RedisStoreOptions } from './redis.js';
import type { DedupeStore } from './store.js';

export function createLazyRedisStore(options: RedisStoreOptions): DedupeStore {
  let loaded: Promise<DedupeStore> | undefined;
  const store = () => (loaded ??= import('./redis.js').then((m) => m.createRedisStore(options)));
  return {
    claim: async (key, holdMs) => (await store()).claim(key, holdMs),
    commit: async (key, ttlMs) => (await store()).commit(key, ttlMs),
    release: async (key, token) => (await store()).release(key, token),
    state: async (key) => (await store()).state(key),
    claimAll: async (keys, holdMs) => (await store()).claimAll(keys, holdMs),
    commitAll: async (keys, ttlMs) => (await store()).commitAll(keys, ttlMs),
    releaseAll: async (keys, token) => (await store()).releaseAll(keys, token),
    stateAll: async (keys) => (await store()).stateAll(keys),
    ready: async (timeoutMs) => (await store()).ready(timeoutMs),
    // Closing a store that never loaded must not load ioredis just to close it.
    close: async () => {
      if (loaded) await (await loaded).close();
    },
  };
}
