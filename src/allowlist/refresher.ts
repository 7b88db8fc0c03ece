// The lifecycle of Meta's address allowlist (SPEC.md §6): load the last good list from cacheFile,
// fetch AS32934's routes over whois, refresh them with jitter, and never trade a good list for a
// worse one. With no list at all every connection is refused (fail closed) until one loads.
import { refuse, type Refusal } from '../refusal.js';
import { readCache, writeCache } from './cache.js';
import { PrefixSet } from './prefix-set.js';
import { parseRpsl, selectRoutes, type RpslRoute } from './rpsl.js';
import { WhoisError, whoisQuery } from './whois.js';

type LogFn = (obj: object, msg: string) => void;
export interface AllowlistLog {
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
}

export interface AllowlistState {
  /** A whois or cached list is loaded; extraCidrs alone never make the allowlist ready. */
  readonly ready: boolean;
  /** Distinct prefixes of that list (extraCidrs not included). */
  readonly prefixes: number;
  /** Unix seconds of the whois fetch that produced the list (kept across restarts by the cache). */
  readonly lastSuccess: number | undefined;
  readonly source: 'none' | 'cache' | 'whois';
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AllowlistOptions {
  readonly asn: string;
  readonly whois: { readonly host: string; readonly port: number; readonly timeoutMs: number };
  readonly refreshSeconds: number;
  /** Absolute path, or undefined for no cache. */
  readonly cacheFile?: string | undefined;
  readonly maintainers: readonly string[];
  readonly extraCidrs: readonly string[];
  readonly log: AllowlistLog;
  /** Called after each accepted list, e.g. to set hubgate_allowlist_prefixes and _last_success_. */
  readonly onChange?: (state: AllowlistState) => void;
  readonly timers?: Timers;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** Retry delays while fetches fail: doubling from initialSeconds up to maxSeconds. */
  readonly retry?: { readonly initialSeconds: number; readonly maxSeconds: number };
}

export interface Allowlist {
  /** Loads cacheFile if present, then fetches once and schedules refreshes. Never throws. */
  start(): Promise<void>;
  stop(): void;
  /** Fetches now (joins a fetch in flight); true when a new list was accepted. Never throws. */
  refresh(): Promise<boolean>;
  allows(ip: string): boolean;
  /** Stage 1 verdict for a source address: undefined to let it through, else the refusal. */
  check(ip: string): Refusal | undefined;
  isReady(): boolean;
  prefixCount(): number;
  lastSuccess(): number | undefined;
  state(): AllowlistState;
}

interface List {
  readonly routes: readonly RpslRoute[];
  readonly prefixes: readonly string[];
  readonly fetchedAt: number;
  readonly source: 'cache' | 'whois';
}

const DEFAULT_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export function createAllowlist(options: AllowlistOptions): Allowlist {
  const { whois, log, cacheFile, maintainers } = options;
  // The ASN goes into the query line: accept only its RPSL form (RFC 2622 §2) so nothing else can.
  if (!/^AS\d{1,10}$/i.test(options.asn)) throw new TypeError(`allowlist.asn: not an AS number: "${options.asn}"`);
  const asn = options.asn.toUpperCase();
  const timers = options.timers ?? DEFAULT_TIMERS;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const retry = options.retry ?? { initialSeconds: 5, maxSeconds: 300 };
  const extra = PrefixSet.from(options.extraCidrs);

  // extraCidrs are allowed from the first connection, even before any list loads.
  let matcher = extra;
  let list: List | undefined;
  let failures = 0;
  let timer: unknown;
  let inFlight: Promise<boolean> | undefined;
  let stopped = false;
  let abort = new AbortController();

  const state = (): AllowlistState => ({
    ready: list !== undefined,
    prefixes: list?.prefixes.length ?? 0,
    lastSuccess: list?.fetchedAt,
    source: list?.source ?? 'none',
  });

  function install(next: List): void {
    list = next;
    matcher = PrefixSet.from([...next.prefixes, ...options.extraCidrs]);
    options.onChange?.(state());
  }

  async function loadCache(): Promise<void> {
    if (cacheFile === undefined) return;
    try {
      const cached = await readCache(cacheFile, asn);
      if (cached === undefined) return;
      const prefixes = selectRoutes(cached.routes, maintainers).map((r) => r.prefix);
      // Never an empty list (SPEC.md §6), whatever the cache holds.
      if (prefixes.length === 0) return log.warn({ asn, cacheFile }, 'allowlist cache has no prefix for the configured maintainers: ignored');
      install({ routes: cached.routes, prefixes, fetchedAt: cached.fetchedAt, source: 'cache' });
      log.info({ asn, cacheFile, prefixes: prefixes.length, fetchedAt: cached.fetchedAt }, 'allowlist loaded from cache');
    } catch (err) {
      log.warn({ asn, cacheFile, err: (err as Error).message }, 'allowlist cache ignored');
    }
  }

  /** Why an answer is refused, or undefined to accept it. */
  function suspicion(count: number): string | undefined {
    if (count === 0) return 'whois answer has no prefix';
    // A truncated answer or a registry accident would silently lock Meta out; a genuine halving is
    // rare enough to ask for an operator's hand (delete cacheFile and restart).
    if (list !== undefined && count < list.prefixes.length / 2) {
      return `whois answer has ${count} prefixes, fewer than half of the current ${list.prefixes.length} (to accept it, delete cacheFile and restart)`;
    }
    return undefined;
  }

  async function fetchOnce(): Promise<boolean> {
    let text: string;
    try {
      text = await whoisQuery({ ...whois, query: `-i origin ${asn}`, signal: abort.signal });
    } catch (err) {
      return failed(err instanceof WhoisError ? err.code : 'error', (err as Error).message);
    }
    if (stopped) return false;
    const parsed = parseRpsl(text, { maintainers, origin: asn });
    const why = suspicion(parsed.prefixes.length);
    if (why !== undefined) return failed(parsed.prefixes.length === 0 ? 'empty' : 'shrunk', why);

    const before = new Set(list?.prefixes ?? []);
    const after = new Set(parsed.prefixes);
    const added = parsed.prefixes.filter((p) => !before.has(p)).length;
    const removed = [...before].filter((p) => !after.has(p)).length;
    install({ routes: parsed.routes, prefixes: parsed.prefixes, fetchedAt: Math.floor(now() / 1000), source: 'whois' });
    const { v4, v6, malformed, duplicates, otherOrigin } = parsed;
    log.info({ asn, prefixes: after.size, v4, v6, added, removed, malformed, duplicates, otherOrigin }, 'allowlist updated from whois');
    if (cacheFile !== undefined) {
      try {
        await writeCache(cacheFile, { asn, fetchedAt: list?.fetchedAt ?? 0, routes: parsed.routes });
      } catch (err) {
        log.warn({ asn, cacheFile, err: (err as Error).message }, 'allowlist cache not written: the list is kept in memory only');
      }
    }
    return true;
  }

  function failed(code: string, message: string): false {
    if (stopped) return false;
    if (list !== undefined) {
      log.warn({ asn, code, err: message, prefixes: list.prefixes.length }, 'allowlist refresh refused: keeping the last good list');
    } else {
      log.error({ asn, code, err: message, reason: 'allowlist_unavailable' }, 'no allowlist loaded: refusing every connection');
    }
    return false;
  }

  /** ±10% so that replicas started together do not query the registry in lockstep. */
  const jitter = (seconds: number): number => seconds * (0.9 + 0.2 * random());

  function schedule(): void {
    if (stopped) return;
    const backoff = Math.min(retry.initialSeconds * 2 ** Math.max(0, failures - 1), retry.maxSeconds, options.refreshSeconds);
    const seconds = jitter(failures === 0 ? options.refreshSeconds : backoff);
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = timers.setTimeout(() => {
      timer = undefined;
      void refresh();
    }, Math.round(seconds * 1000));
  }

  function refresh(): Promise<boolean> {
    inFlight ??= fetchOnce()
      .catch((err: unknown) => failed('error', (err as Error).message))
      .then((accepted) => {
        failures = accepted ? 0 : failures + 1;
        inFlight = undefined;
        schedule();
        return accepted;
      });
    return inFlight;
  }

  return {
    async start() {
      stopped = false;
      abort = new AbortController();
      if (list === undefined) await loadCache();
      await refresh();
    },
    stop() {
      stopped = true;
      abort.abort();
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
    },
    refresh,
    allows: (ip) => matcher.has(ip),
    check(ip) {
      if (matcher.has(ip)) return undefined;
      return refuse(list === undefined ? 'allowlist_unavailable' : 'address_not_allowed');
    },
    isReady: () => list !== undefined,
    prefixCount: () => list?.prefixes.length ?? 0,
    lastSuccess: () => list?.fetchedAt,
    state,
  };
}
