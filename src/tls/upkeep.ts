// What the TLS listener keeps up beside its secure context: the session-ticket keys (ticket-
// rotation.ts), the CRL freshness gauge, and a timer that rebuilds the context when a CRL passes
// its nextUpdate (a new session ID context, so older sessions are not resumed). One object, so a
// listener (node:https today, a plain tls.Server tomorrow) needs one call after each
// setSecureContext and one at shutdown.
import type { Server as TlsServer } from 'node:tls';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../admin/metrics.js';
import { exportCrlMetrics } from '../admin/tls-metrics.js';
import { createTicketKeySource } from './ticket-rotation.js';
import { atNextCrlExpiry } from './crl.js';

export interface TlsUpkeepOptions {
  log: Logger;
  metrics: Metrics;
  /** Cluster workers take their ticket keys from the primary. */
  ticketKeysFromPrimary: boolean;
  /** Rebuilds the listener's secure context from the running config (and calls `applied` again). */
  reapply(): void;
  /** The config now running: a timer set for an older one does nothing. */
  current(): Config;
}

export function createTlsUpkeep(options: TlsUpkeepOptions) {
  const ticketKeys = createTicketKeySource({ fromPrimary: options.ticketKeysFromPrimary });
  let cancelCrlTimer = () => {};
  return {
    /** After every setSecureContext on `server` with `config`. */
    applied(server: TlsServer, config: Config): void {
      ticketKeys.apply(config);
      ticketKeys.attach(server);
      exportCrlMetrics(options.metrics, config);
      cancelCrlTimer();
      cancelCrlTimer = atNextCrlExpiry(config.clientAuth.crls, (stale) => {
        for (const c of stale) options.log.warn({ crl: c.file, issuer: c.issuer, policy: config.clientAuth.crlExpired }, 'CRL passed its nextUpdate');
        if (options.current() === config) options.reapply();
      });
    },
    setTicketKeys: (keys: readonly Buffer[]) => ticketKeys.fromPrimary(keys),
    stop(): void {
      ticketKeys.stop();
      cancelCrlTimer();
    },
  };
}
