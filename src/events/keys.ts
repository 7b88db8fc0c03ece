// SPEC.md §8–§9: what dedupe remembers is an event *for a destination*. Meta retries a failed
// delivery whole; the destinations that already answered 2xx must not see their events again,
// the one that failed must. So the key is app + destination + the event's identity.
import { hash } from 'node:crypto';
import type { Notification } from './notification.js';

/** Each event's identity: Meta's id for it when there is one (see event-keys.ts), else the
 *  SHA-256 of its raw bytes — which `entry[].time`, the envelope's send time, is not part of. */
export function eventIdentities(n: Notification): string[] {
  return n.events.map((e) => e.identity ?? 'raw:' + hash('sha256', n.body.subarray(e.start, e.end), 'hex'));
}

/** `app:<SHA-256 hex>`: fixed length whatever Meta's ids hold, and the shape the memory store
 *  keeps in 32 bytes. Destination names cannot hold a newline (config schema). */
export function eventKey(app: string, destination: string, identity: string): string {
  // crypto.hash: one call, ~2.5× cheaper than createHash().update().digest() for a short input.
  return `${app}:${hash('sha256', `${destination}\n${identity}`, 'hex')}`;
}
