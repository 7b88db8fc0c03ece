// The CRL freshness gauge: one series per issuing CA, the latest nextUpdate among its lists (a
// CA with a fresh and an older list is covered until the fresh one goes stale).
import type { Config } from '../config/load.js';
import type { Metrics } from './metrics.js';

export function exportCrlMetrics(metrics: Metrics, config: Config): void {
  const latest = new Map<string, number>();
  for (const crl of config.clientAuth.crls) {
    const issuer = crl.issuer.replace(/\n/g, ', ');
    latest.set(issuer, Math.max(latest.get(issuer) ?? 0, crl.nextUpdate.getTime() / 1000));
  }
  metrics.crlNextUpdate.reset();
  for (const [issuer, at] of latest) metrics.crlNextUpdate.set({ issuer }, at);
}
