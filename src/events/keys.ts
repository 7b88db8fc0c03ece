// SPEC.md §8–§9: what dedupe remembers is an event *for a destination*. Meta retries a failed
// delivery whole; the destinations that already answered 2xx must not see their events again,
// the one that failed must. So the key is app + destination + the event's identity.
import { createHash } from 'node:crypto';
import type { Notification } from './notification.js';

/** Each event's identity: Meta's id for it when there is one (see event-keys.ts), else the
 *  SHA-256 of its raw bytes — which `entry[].time`, the envelope's send time, is not part of. */
export function eventIdentities(n: Notification): string[] {
  return n.events.map((e) => e.identity ?? 'raw:' + createHash('sha256').update(n.body.subarray(e.start, e.end)).digest('hex'));
}

/** `app:<SHA-256 hex>`: fixed length whatever Meta's ids hold, and the shape the memory store
 *  keeps in 32 bytes. Destination names cannot hold a newline (config schema). */
export function eventKey(app: string, destination: string, identity: string): string {
  return `${app}:${createHash('sha256').update(`${destination}\n${identity}`).digest('hex')}`;
}
