// Expiry alarms: a warning log 30 days before a trust anchor, the server certificate or the
// client certificate Meta presents expires (the metrics carry the same dates for alerting).
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';

export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface Expiring {
  readonly what: string;
  readonly subject: string;
  readonly notAfter: Date;
}

export function expiringSoon(items: readonly Expiring[], now = Date.now()): Expiring[] {
  return items.filter((i) => i.notAfter.getTime() - now < EXPIRY_WARNING_DAYS * DAY_MS);
}

export function configExpiries(config: Config): Expiring[] {
  return [
    { what: 'server certificate (tls.cert)', subject: config.tls.subject, notAfter: config.tls.notAfter },
    ...config.clientAuth.trustAnchors.map((a) => ({ what: `trust anchor ${a.file}`, subject: a.subject, notAfter: a.notAfter })),
  ];
}

export function warnExpiring(items: readonly Expiring[], log: Logger, now = Date.now()): void {
  for (const item of expiringSoon(items, now)) {
    const days = Math.floor((item.notAfter.getTime() - now) / DAY_MS);
    log.warn(
      { what: item.what, subject: item.subject, notAfter: item.notAfter.toISOString(), daysLeft: days },
      days < 0 ? 'certificate expired' : `certificate expires in ${days} days`,
    );
  }
}
