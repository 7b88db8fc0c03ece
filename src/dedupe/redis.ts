import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { DedupeStoreError, singleKeyOps, type BatchClaim, type DedupeStore, type KeyState, type StoreOp } from './store.js';

/**
 * Shared store for several replicas (SPEC.md §8). Values:
 *   `inflight:<token>`  claimed by one replica, forward under way (PX = hold time)
 *   `delivered`         the upstream answered 2xx (PX = ttl)
 * The token makes `release` delete only our own claim: if ours expired and another replica
 * claimed the key since, a plain DEL would let a third copy through.
 */
export interface RedisStoreOptions {
  /** redis://[user:password@]host:port[/db] or rediss://… ; never logged (may hold a password). */
  url: string;
  keyPrefix?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Called once per outage (first connection error after being ready), for a warning log. */
  onConnectionError?: (err: Error) => void;
}

export const DEFAULT_KEY_PREFIX = 'hubgate:dedupe:';
// Short on purpose: every request waits on these before it is forwarded. A Redis slower
// than this is treated as down and the gateway forwards without deduplicating.
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 500;

const VALUE_DELIVERED = 'delivered';
const INFLIGHT = 'inflight:';

// SET NX PX per key, in one script so the batch is atomic (no other claim interleaves), answering
// c(laimed), d(elivered), i(n flight) or ? (a value that is not ours) per key.
const CLAIM_ALL_LUA = `local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then out[i] = 'c'
  else
    local v = redis.call('GET', key)
    if v == 'delivered' then out[i] = 'd'
    elseif v and string.sub(v, 1, 9) == 'inflight:' then out[i] = 'i'
    else out[i] = '?' end
  end
end
return out`;
const COMMIT_ALL_LUA = `for _, key in ipairs(KEYS) do redis.call('SET', key, 'delivered', 'PX', ARGV[1]) end
return #KEYS`;
// Delete only the claims that are still ours (compare-and-delete, atomic).
const RELEASE_ALL_LUA = `local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then n = n + redis.call('DEL', key) end
end
return n`;

interface ScriptedRedis extends Redis {
  hubgateClaimAll(...args: [number, ...string[]]): Promise<string[]>;
  hubgateCommitAll(...args: [number, ...string[]]): Promise<number>;
  hubgateReleaseAll(...args: [number, ...string[]]): Promise<number>;
}

const CLAIM_STATES = { c: 'claimed', d: 'delivered', i: 'in_flight' } as const;

export function createRedisStore(options: RedisStoreOptions): DedupeStore {
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const client = new Redis(options.url, {
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    // Fail fast while disconnected instead of queueing: a queued claim would hold the
    // delivery hostage until Redis comes back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Keep reconnecting for ever, backing off to 2 s: Redis coming back restores dedupe.
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  }) as ScriptedRedis;
  // numberOfKeys is passed per call: a batch has as many keys as the delivery has events.
  client.defineCommand('hubgateClaimAll', { lua: CLAIM_ALL_LUA });
  client.defineCommand('hubgateCommitAll', { lua: COMMIT_ALL_LUA });
  client.defineCommand('hubgateReleaseAll', { lua: RELEASE_ALL_LUA });

  let healthy = true;
  client.on('ready', () => {
    healthy = true;
  });
  // Without a listener ioredis prints every reconnect failure; report one per outage.
  client.on('error', (err: Error) => {
    if (!healthy) return;
    healthy = false;
    options.onConnectionError?.(err);
  });

  const instance = randomBytes(6).toString('hex');
  let seq = 0;

  async function call<T>(op: StoreOp, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new DedupeStoreError(op, err);
    }
  }

  function parseState(op: StoreOp, value: string | null): KeyState {
    if (value === null) return 'absent';
    if (value === VALUE_DELIVERED) return 'delivered';
    if (value.startsWith(INFLIGHT)) return 'in_flight';
    // Someone else's data under our prefix: do not guess, let the caller forward.
    throw new DedupeStoreError(op, new Error('unexpected value under the dedupe key prefix'));
  }

  const prefixed = (keys: readonly string[]): string[] => keys.map((k) => prefix + k);
  const batches: Pick<DedupeStore, 'claimAll' | 'commitAll' | 'releaseAll' | 'stateAll'> = {
    claimAll: (keys, holdMs) =>
      call('claim', async (): Promise<BatchClaim> => {
        const token = `${INFLIGHT}${instance}.${++seq}`;
        const hold = String(Math.max(1, Math.ceil(holdMs)));
        const reply = await client.hubgateClaimAll(keys.length, ...prefixed(keys), token, hold);
        const states = reply.map((r) => {
          const state = CLAIM_STATES[r as keyof typeof CLAIM_STATES];
          // Someone else's data under our prefix: do not guess, let the caller forward.
          if (state === undefined) throw new Error('unexpected value under the dedupe key prefix');
          return state;
        });
        return { token, states };
      }),
    commitAll: (keys, ttlMs) =>
      call('commit', async () => {
        await client.hubgateCommitAll(keys.length, ...prefixed(keys), String(Math.max(1, Math.ceil(ttlMs))));
      }),
    releaseAll: (keys, token) =>
      call('release', async () => {
        await client.hubgateReleaseAll(keys.length, ...prefixed(keys), token);
      }),
    stateAll: (keys) =>
      call('state', async () => (await client.mget(prefixed(keys))).map((v) => parseState('state', v))),
  };

  return {
    ...batches,
    ...singleKeyOps(batches),
    // Deliveries arriving before the connection is up are forwarded undeduplicated (the
    // offline queue is off); awaiting this at startup narrows that window.
    ready: (timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS) => {
      if (client.status === 'ready') return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const done = (ok: boolean): void => {
          clearTimeout(timer);
          client.off('ready', onReady);
          resolve(ok);
        };
        const onReady = (): void => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        client.on('ready', onReady);
      });
    },
    close: async () => {
      try {
        if (client.status === 'ready') await client.quit();
      } catch {
        // quitting a connection that just broke: disconnect below is enough
      } finally {
        client.disconnect();
      }
    },
  };
}
