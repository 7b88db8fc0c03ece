import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { DedupeStoreError, type Claim, type DedupeStore, type KeyState, type StoreOp } from './store.js';

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

// SET NX PX, then the current value in the same round trip, atomically (SET … NX GET needs
// Redis ≥ 7.0; a script also works on 6.x).
const CLAIM_LUA = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'claimed' end
return redis.call('GET', KEYS[1])`;
// Delete only if the claim is still ours (compare-and-delete, atomic).
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface ScriptedRedis extends Redis {
  hubgateClaim(key: string, value: string, holdMs: number): Promise<string | null>;
  hubgateRelease(key: string, value: string): Promise<number>;
}

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
  client.defineCommand('hubgateClaim', { numberOfKeys: 1, lua: CLAIM_LUA });
  client.defineCommand('hubgateRelease', { numberOfKeys: 1, lua: RELEASE_LUA });

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

  return {
    claim: (key, holdMs) =>
      call('claim', async (): Promise<Claim> => {
        const token = `${INFLIGHT}${instance}.${++seq}`;
        const reply = await client.hubgateClaim(prefix + key, token, Math.max(1, Math.ceil(holdMs)));
        if (reply === 'claimed') return { state: 'claimed', token };
        const state = parseState('claim', reply);
        // 'absent' cannot follow a failed SET NX inside one script; treat it as contention.
        return state === 'delivered' ? { state: 'delivered' } : { state: 'in_flight' };
      }),
    commit: (key, ttlMs) =>
      call('commit', async () => {
        await client.set(prefix + key, VALUE_DELIVERED, 'PX', Math.max(1, Math.ceil(ttlMs)));
      }),
    release: (key, token) =>
      call('release', async () => {
        await client.hubgateRelease(prefix + key, token);
      }),
    state: (key) => call('state', async () => parseState('state', await client.get(prefix + key))),
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
