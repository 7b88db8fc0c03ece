// SPEC.md §8–§9 stage 9 for a notification: each destination gets its share of the events —
// Meta's own bytes and signature when that is every event, else a rewritten body signed with its
// secret — at most once per event among everyone sharing the dedupe store; then one answer for
// Meta (acknowledge.ts). Sending is injected, so all of it runs without sockets in tests.
import type { Destination } from '../config/load.js';
import type { Deduper, KeyFate } from '../dedupe/index.js';
import type { Refusal } from '../refusal.js';
import { acknowledge, type Acknowledgement, type DestinationOutcome } from './acknowledge.js';
import { rewrittenBody, signature } from './body.js';
import { eventIdentities, eventKey } from './keys.js';
import type { Notification } from './notification.js';
import type { Part } from './route.js';

export interface OutgoingBody {
  readonly chunks: readonly Buffer[];
  readonly length: number;
  /** Replaces Meta's `X-Hub-Signature-256`; undefined: Meta's goes out as received. */
  readonly signature: string | undefined;
  /** The bytes are not Meta's: `X-Hubgate-Rewritten: 1`. */
  readonly rewritten: boolean;
}

export interface Sent {
  /** The destination's status; 502/504 when it was unreachable or did not answer in time. */
  readonly status: number;
  /** The destination's answer went to Meta as it came (only when asked with `relay`). */
  readonly relayed: boolean;
  /** Why no answer came back (unreachable, timed out), for the log and the gateway's answer. */
  readonly refusal?: Refusal;
  readonly upstreamSeconds?: number;
}

/** POSTs `body` to `destination`; with `relay`, its answer goes straight back to Meta. */
export type Send = (destination: Destination, body: OutgoingBody, relay: boolean) => Promise<Sent>;

export interface EventDelivery {
  readonly app: string;
  /** Signs rewritten bodies for destinations without a signingSecret of their own. */
  readonly appSecret: Buffer;
  readonly notification: Notification;
  /** The body as received: what a destination getting every event gets. */
  readonly original: readonly Buffer[];
  readonly parts: readonly Part[];
  readonly deduper: Deduper;
}

export interface Delivered {
  readonly ack: Acknowledgement;
  readonly outcomes: readonly DestinationOutcome[];
  /** Set when one destination's answer was (or was to be) Meta's answer: the delivery went to
   *  one destination only and nothing else failed. `relayed: false` → its refusal is Meta's. */
  readonly single: Sent | undefined;
  /** The store failed for some event, which was sent without deduplication. */
  readonly bypassed: boolean;
}

function bodyFor(d: EventDelivery, destination: Destination, events: readonly number[]): OutgoingBody {
  const n = d.notification;
  if (events.length === n.events.length) {
    // Meta's bytes. Meta's signature too, unless the destination has a secret of its own: a
    // tenant never needs the app secret to check what it receives.
    const sig = destination.signingSecret === undefined ? undefined : signature(n.body, destination.signingSecret);
    return { chunks: d.original, length: n.body.length, signature: sig, rewritten: false };
  }
  const body = rewrittenBody(n, events);
  return { chunks: [body], length: body.length, signature: signature(body, destination.signingSecret ?? d.appSecret), rewritten: true };
}

function outcomeOf(destination: Destination, fates: readonly KeyFate[], sent: Sent | undefined): DestinationOutcome {
  let delivered = 0;
  let duplicate = 0;
  let failed = 0;
  let failure = 0;
  const ok = sent !== undefined && sent.status >= 200 && sent.status <= 299;
  for (const fate of fates) {
    if (fate.kind === 'duplicate') duplicate++;
    else if (fate.kind === 'sent' && ok) delivered++;
    else {
      failed++;
      const status = fate.kind === 'sent' ? sent!.status : fate.kind === 'twin_failed' ? fate.status : 504;
      if (status > failure) failure = status;
    }
  }
  return { name: destination.name, required: destination.required, delivered, duplicate, failed, status: sent?.status, failure };
}

export async function deliverEvents(d: EventDelivery, send: Send): Promise<Delivered> {
  const identities = eventIdentities(d.notification);
  const alone = d.parts.length === 1;
  let single: Sent | undefined;
  let bypassed = false;
  const outcomes = await Promise.all(
    d.parts.map(async ({ destination, events }) => {
      const keys = events.map((i) => eventKey(d.app, destination.name, identities[i]!));
      const result = await d.deduper.runBatch(keys, async (fresh, failing) => {
        // Meta's answer can be this destination's own only if nothing else has a say in it.
        const relay = alone && failing === 0;
        const sent = await send(destination, bodyFor(d, destination, fresh.map((k) => events[k]!)), relay);
        if (relay) single = sent;
        return sent;
      });
      bypassed ||= result.bypassed;
      return outcomeOf(destination, result.fates, result.sent);
    }),
  );
  return { ack: acknowledge(outcomes), outcomes, single, bypassed };
}
