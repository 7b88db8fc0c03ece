// SPEC.md §8 around stage 9: an app with `dedupe.enabled` sees each Meta delivery once. Runs only
// after the signature stage, so an unsigned body is never remembered. Stores outlive reloads
// (a memory store's history would otherwise be lost) and are shared by apps with the same store.
import type { AppConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../admin/metrics.js';
import { refuse, type Refusal } from '../refusal.js';
import { createDedupeStore, createDeduper, dedupeKey, type DedupeStore, type DedupeStoreConfig, type Deduper } from '../dedupe/index.js';

export type Deduplicated<T> =
  | { readonly kind: 'forwarded'; readonly result: T }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'refused'; readonly refusal: Refusal };

function storeConfig(app: AppConfig): DedupeStoreConfig {
  const store = app.dedupe.store;
  return store === 'memory' ? { memory: {} } : store;
}

function storeId(config: DedupeStoreConfig): string {
  return 'redis' in config ? `redis ${config.redis}` : `memory ${config.memory.maxEntries ?? ''}`;
}

export function createDedupeStores(log: Logger) {
  const stores = new Map<string, DedupeStore>();
  return {
    get(app: AppConfig): DedupeStore {
      const config = storeConfig(app);
      const id = storeId(config);
      let store = stores.get(id);
      if (!store) {
        store = createDedupeStore(config, {
          // The URL can carry a password: log the app, not the URL.
          onConnectionError: (err) => log.warn({ app: app.name, err: err.message }, 'dedupe store connection lost'),
        });
        stores.set(id, store);
      }
      return store;
    },
    /** Waits (bounded) for every store to connect; a store that is not ready is not fatal:
     *  deliveries are then forwarded without deduplication until it is. */
    async ready(apps: readonly AppConfig[]): Promise<void> {
      const used = apps.filter((a) => a.dedupe.enabled).map((a) => this.get(a));
      const results = await Promise.all(used.map((s) => s.ready()));
      if (results.includes(false)) log.warn('dedupe store not reachable yet: forwarding without deduplication until it is');
    },
    async close(): Promise<void> {
      await Promise.all([...stores.values()].map((s) => s.close().catch(() => undefined)));
      stores.clear();
    },
  };
}
export type DedupeStores = ReturnType<typeof createDedupeStores>;

/** One deduper per app with dedupe enabled; built with each config. */
export function createDedupers(
  apps: readonly AppConfig[],
  stores: DedupeStores,
  log: Logger,
  metrics: Metrics,
  waitMs: number,
): Map<string, Deduper> {
  const dedupers = new Map<string, Deduper>();
  for (const app of apps) {
    if (!app.dedupe.enabled) continue;
    dedupers.set(
      app.name,
      createDeduper({
        store: stores.get(app),
        ttlMs: app.dedupe.ttlSeconds * 1000,
        waitMs,
        log: log.child({ app: app.name }),
        onStoreError: () => metrics.dedupeStoreErrors.inc(),
      }),
    );
  }
  return dedupers;
}

/** Forwards at most once per (app, body) among everyone sharing the store. */
export async function deduplicate<T extends { status: number }>(
  deduper: Deduper,
  app: string,
  chunks: readonly Buffer[],
  forward: () => Promise<T | Refusal>,
): Promise<Deduplicated<T | Refusal>> {
  let result: T | Refusal | undefined;
  const outcome = await deduper.run(dedupeKey(app, chunks), async () => {
    result = await forward();
    return result.status;
  });
  switch (outcome.outcome) {
    case 'forwarded':
      return { kind: 'forwarded', result: result! };
    case 'duplicate':
      return { kind: 'duplicate' };
    case 'twin_failed':
      return { kind: 'refused', refusal: { ...refuse('dedupe_twin_failed', String(outcome.status)), status: outcome.status } };
    case 'wait_timeout':
      return { kind: 'refused', refusal: refuse('dedupe_wait_timeout') };
  }
}
