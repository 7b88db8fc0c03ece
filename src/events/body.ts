// SPEC.md §9 "Bodies": a destination that does not get every event of a delivery gets the
// original with the other events cut out — raw byte slices in original order, never
// re-serialized, so `\u00e9`, `\/`, surrogate pairs and `1.0e3` stay as Meta wrote them. Each
// entry keeps its own members (`id`, `time`, …) byte for byte; entries left without an event
// for the destination are dropped; bytes between array elements (whitespace) are not kept.
import { createHmac } from 'node:crypto';
import type { Notification } from './notification.js';

const COMMA = Buffer.from(',');

/** The body holding only `events` (indexes in body order, at least one). */
export function rewrittenBody(n: Notification, events: readonly number[]): Buffer {
  const { body } = n;
  const parts: Buffer[] = [body.subarray(0, n.entryOpen + 1)];
  let i = 0;
  while (i < events.length) {
    const entryIndex = n.events[events[i]!]!.entry;
    const entry = n.entries[entryIndex]!;
    if (parts.length > 1) parts.push(COMMA);
    parts.push(body.subarray(entry.start, entry.listOpen + 1));
    for (let first = true; i < events.length && n.events[events[i]!]!.entry === entryIndex; i++, first = false) {
      const event = n.events[events[i]!]!;
      if (!first) parts.push(COMMA);
      parts.push(body.subarray(event.start, event.end));
    }
    parts.push(body.subarray(entry.listClose, entry.end));
  }
  parts.push(body.subarray(n.entryClose));
  // One buffer: one write to the upstream and one HMAC pass, instead of hundreds of slices.
  return Buffer.concat(parts);
}

/** `X-Hub-Signature-256` for bytes hubgate wrote (or re-signed) for a destination. */
export function signature(body: Buffer, secret: Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}
