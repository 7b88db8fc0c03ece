// Stage 9 for a POST to an app that reads Meta events (SPEC.md §8–§9: tenants, fanOut or dedupe):
// the verified body read as a notification, its events routed and delivered through the
// Forwarder (src/events/ has the logic, this file the wiring), and one answer for Meta.
import type { AppConfig, Destination } from '../config/load.js';
import type { Metrics } from '../admin/metrics.js';
import type { Deduper } from '../dedupe/index.js';
import {
  createEventRouter, deliverEvents, destinationUrl, parseNotification,
  type Delivered, type EventRouter, type Notification, type OutgoingBody, type Send, type Unparsed,
} from '../events/index.js';
import type { HeaderList, HubRequest, Responder } from '../http/exchange.js';
import { sendAccepted, sendDuplicate } from '../http/respond.js';
import { isRefusal, refuse } from '../refusal.js';
import type { DestinationLog, RequestRecord } from '../server/record.js';
import type { Body } from './body.js';
import { forwardHeaders, type ForwardContext, type Forwarder } from './forward.js';

/** What stage 9 needs to read an app's events; built with each config (see gateway.ts). */
export interface EventReader {
  readonly router: EventRouter;
  readonly deduper: Deduper;
}

/** One per app with dedupe enabled: every such app reads events (SPEC §8: the event, not the
 *  envelope, is remembered), with or without tenants. */
export function createEventReaders(apps: readonly AppConfig[], dedupers: ReadonlyMap<string, Deduper>): Map<string, EventReader> {
  const readers = new Map<string, EventReader>();
  for (const app of apps) {
    const deduper = dedupers.get(app.name);
    if (deduper) readers.set(app.name, { router: createEventRouter(app), deduper });
  }
  return readers;
}

/** The body as a notification with at least one event, or why it goes whole to the upstream. */
export function readNotification(body: Body): Notification | Unparsed | 'no_events' {
  const bytes = body.chunks.length === 1 ? body.chunks[0]! : Buffer.concat(body.chunks, body.length);
  const n = parseNotification(bytes);
  if ('unparsed' in n) return n;
  return n.events.length === 0 ? 'no_events' : n;
}

const OWN_FIELDS = new Set(['content-length', 'x-hub-signature-256']);

/** The forwarded fields with this body's length and signature (Meta's, unless replaced). */
function headersFor(base: HeaderList, body: OutgoingBody): string[] {
  if (!body.rewritten && body.signature === undefined) return base as string[];
  const out: string[] = [];
  for (let i = 0; i < base.length; i += 2) {
    if (!OWN_FIELDS.has(base[i]!.toLowerCase())) out.push(base[i]!, base[i + 1]!);
  }
  out.push('content-length', String(body.length));
  if (body.signature !== undefined) out.push('x-hub-signature-256', body.signature);
  if (body.rewritten) out.push('x-hubgate-rewritten', '1');
  return out;
}

export interface EventForward {
  readonly req: HubRequest;
  readonly res: Responder;
  readonly rec: RequestRecord;
  readonly context: ForwardContext;
  readonly notification: Notification;
  readonly reader: EventReader;
  readonly forwarder: Forwarder;
  readonly metrics: Metrics;
}

export async function forwardEvents(f: EventForward): Promise<void> {
  const { app, upstreamUrl } = f.context.routed;
  const base = forwardHeaders(f.req, f.context);
  const timeoutMs = f.context.upstreamTimeoutMs;
  const send: Send = async (destination: Destination, body, relay) => {
    const outbound = {
      origin: destination.upstreamOrigin,
      path: destinationUrl(app, upstreamUrl, destination),
      method: 'POST',
      headers: headersFor(base, body),
      body: body.chunks,
    };
    const r = await f.forwarder.send(outbound, relay ? f.res : null, timeoutMs);
    if (isRefusal(r)) return { status: r.status, relayed: false, refusal: r };
    f.metrics.upstreamDuration.observe({ app: app.name }, r.upstreamSeconds);
    return { status: r.status, relayed: relay, upstreamSeconds: r.upstreamSeconds };
  };
  const delivered = await deliverEvents(
    { app: app.name, appSecret: app.secrets[0]!, notification: f.notification, original: f.context.body.chunks, parts: f.reader.router(f.notification), deduper: f.reader.deduper },
    send,
  );
  count(f.metrics, app.name, delivered);
  answer(f, delivered);
}

function count(metrics: Metrics, app: string, d: Delivered): void {
  for (const o of d.outcomes) {
    if (o.delivered > 0) metrics.events.inc({ app, tenant: o.name, outcome: 'delivered' }, o.delivered);
    if (o.duplicate > 0) metrics.events.inc({ app, tenant: o.name, outcome: 'duplicate' }, o.duplicate);
    if (o.failed > 0) metrics.events.inc({ app, tenant: o.name, outcome: 'failed' }, o.failed);
    if (!o.required && o.failure !== 0) metrics.fanOutFailures.inc({ app, destination: o.name });
  }
  if (d.ack.duplicate) metrics.duplicates.inc({ app });
}

/** Meta's answer: the one destination's own when it was relayed, else the gateway's. */
function answer({ res, rec }: EventForward, d: Delivered): void {
  const destinations: DestinationLog[] = d.outcomes.map(({ name, status, delivered, duplicate, failed }) => ({ name, status, delivered, duplicate, failed }));
  if (d.single?.relayed) return rec.done(d.single.status, { upstreamSeconds: d.single.upstreamSeconds, destinations });
  if (d.single?.refusal) return rec.refuse(d.single.refusal, false, { destinations });
  if (d.ack.status >= 200 && d.ack.status <= 299) {
    if (d.ack.duplicate) sendDuplicate(res);
    else sendAccepted(res);
    return rec.done(200, { duplicate: d.ack.duplicate || undefined, destinations });
  }
  rec.refuse({ ...refuse('destination_failed'), status: d.ack.status }, false, { destinations });
}
