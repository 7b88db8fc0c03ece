// Where a server's ticket keys come from: tls.ticketKeyFile when set (several replicas share it);
// else, in a single process, a ring rotated here; in a cluster worker, the primary's ring, handed
// over IPC (server/cluster.ts), so a ticket issued by one worker resumes on any other.
import type { Server as TlsServer } from 'node:tls';
import type { Config } from '../config/load.js';
import { TicketKeys, TicketKeyRing } from './ticket-keys.js';

/** Rotates `ring` every `periodSeconds`, handing each new key set to `onKeys`. */
export function scheduleRotation(ring: TicketKeyRing, periodSeconds: number, onKeys: (keys: readonly Buffer[]) => void): () => void {
  const timer = setInterval(() => onKeys(ring.rotate()), periodSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

export interface TicketKeySource {
  /** After every setSecureContext: the callback lives on the secure context. */
  attach(server: TlsServer): void;
  apply(config: Config): void;
  /** Cluster workers: the primary's current keys. */
  fromPrimary(keys: readonly Buffer[]): void;
  stop(): void;
}

export function createTicketKeySource(options: { fromPrimary: boolean }): TicketKeySource {
  const keys = new TicketKeys();
  let ring: TicketKeyRing | undefined;
  let stopRotation = () => {};
  let period = 0;
  let primaryKeys: readonly Buffer[] | undefined;
  let fileKeys = false;

  return {
    attach: (server) => keys.attach(server),
    apply(config) {
      fileKeys = config.tls.ticketKeys !== undefined;
      if (config.tls.ticketKeys) {
        stopRotation();
        period = 0;
        keys.set(config.tls.ticketKeys);
      } else if (options.fromPrimary) {
        if (primaryKeys) keys.set(primaryKeys);
      } else if (period !== config.tls.ticketKeyRotationSeconds) {
        stopRotation();
        ring ??= new TicketKeyRing();
        keys.set(ring.keys);
        period = config.tls.ticketKeyRotationSeconds;
        stopRotation = scheduleRotation(ring, period, (k) => keys.set(k));
      }
    },
    fromPrimary(next) {
      primaryKeys = next;
      if (!fileKeys) keys.set(next);
    },
    stop: () => stopRotation(),
  };
}
