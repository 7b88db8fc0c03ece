// SPEC.md §8–§9 stage 9 for notifications, without sockets: a scripted send stands for the
// destinations, a real memory store for dedupe.
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { AppConfig, Destination } from '../../src/config/load.js';
import { createDeduper, createMemoryStore, type Deduper } from '../../src/dedupe/index.js';
import { createEventRouter, deliverEvents, parseNotification, type OutgoingBody, type Sent } from '../../src/events/index.js';
import { messengerMessage, notification, whatsappChange, whatsappMessage, whatsappStatus } from '../helpers/meta-payloads.mjs';
import { APP_SECRET, appWith, fanOut, tenant } from './fixtures.js';

interface Call {
  destination: string;
  body: Buffer;
  signature: string | undefined;
  rewritten: boolean;
  relay: boolean;
}

/** Destinations answering `status[name]` (default 200) after `delayMs`, recording each POST. */
function destinations(status: Record<string, number> = {}, delayMs = 0) {
  const calls: Call[] = [];
  const send = async (d: Destination, body: OutgoingBody, relay: boolean): Promise<Sent> => {
    calls.push({ destination: d.name, body: Buffer.concat(body.chunks as Buffer[]), signature: body.signature, rewritten: body.rewritten, relay });
    if (delayMs > 0) await sleep(delayMs);
    const s = status[d.name] ?? 200;
    return { status: s, relayed: relay };
  };
  return { calls, send, status };
}

function deliver(app: AppConfig, body: Buffer, deduper: Deduper, send: ReturnType<typeof destinations>['send']) {
  const n = parseNotification(body);
  if ('unparsed' in n) throw new Error(n.unparsed);
  return deliverEvents({ app: app.name, appSecret: APP_SECRET, notification: n, original: [body], parts: createEventRouter(app)(n), deduper }, send);
}

const memoryDeduper = () => createDeduper({ store: createMemoryStore(), ttlMs: 60_000, waitMs: 2_000 });
const ids = (b: Buffer): string[] => [...b.toString().matchAll(/"id":"(wamid\.[^"]+)"/g)].map((m) => m[1]!);
const hmac = (body: Buffer, secret: Buffer | string): string => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');

// Two WABAs, three phone numbers, three tenants, and events no tenant claims.
const app = appWith([
  tenant('acme', { phoneNumberIds: ['phone-a'] }),
  tenant('globex', { phoneNumberIds: ['phone-b'] }, { signingSecret: Buffer.from('globex-secret') }),
  tenant('initech', { entryIds: ['waba-2'] }),
]);
const batch = (time = 1_700_000_000) =>
  notification('whatsapp_business_account', [
    {
      id: 'waba-1',
      time,
      changes: [
        whatsappMessage({ phoneNumberId: 'phone-a', id: 'wamid.A1' }),
        whatsappMessage({ phoneNumberId: 'phone-b', id: 'wamid.B1' }),
        whatsappStatus({ phoneNumberId: 'phone-a', id: 'wamid.A0', status: 'delivered' }),
        whatsappChange('account_update', { event: 'VERIFIED_ACCOUNT' }),
      ],
    },
    { id: 'waba-2', time, changes: [whatsappMessage({ phoneNumberId: 'phone-c', id: 'wamid.C1' }), whatsappChange('message_template_status_update', { event: 'APPROVED' })] },
  ]);

describe('splitting a batch across tenants', () => {
  it('gives each tenant only its events, re-signed, and answers Meta 200 itself', async () => {
    const dest = destinations();
    const result = await deliver(app, batch(), memoryDeduper(), dest.send);
    expect(result.ack).toEqual({ status: 200, duplicate: false });
    expect(result.single).toBeUndefined();
    const by = Object.fromEntries(dest.calls.map((c) => [c.destination, c]));
    expect(Object.keys(by).sort()).toEqual(['acme', 'globex', 'initech', 'upstream']);
    expect(ids(by.acme!.body)).toEqual(['wamid.A1', 'wamid.A0']);
    expect(ids(by.globex!.body)).toEqual(['wamid.B1']);
    expect(ids(by.initech!.body)).toEqual(['wamid.C1']);
    expect(by.upstream!.body.toString()).toContain('account_update');
    expect(dest.calls.every((c) => c.rewritten && !c.relay)).toBe(true);
    expect(by.acme!.signature).toBe(hmac(by.acme!.body, APP_SECRET));
    expect(by.globex!.signature).toBe(hmac(by.globex!.body, 'globex-secret'));
    expect(result.outcomes.map((o) => [o.name, o.delivered])).toEqual([
      ['upstream', 1],
      ['acme', 2],
      ['globex', 1],
      ['initech', 2],
    ]);
  });

  it('sends Meta\'s own bytes and signature to a destination that gets every event, and relays its answer', async () => {
    const dest = destinations();
    const body = notification('whatsapp_business_account', [{ id: 'waba-1', changes: [whatsappMessage({ phoneNumberId: 'phone-a', id: 'wamid.X' })] }]);
    const result = await deliver(app, body, memoryDeduper(), dest.send);
    expect(dest.calls).toEqual([{ destination: 'acme', body, signature: undefined, rewritten: false, relay: true }]);
    expect(result.single).toEqual({ status: 200, relayed: true });
  });

  it('re-signs Meta\'s own bytes for a tenant with its own signing secret, and does not mark them rewritten', async () => {
    const dest = destinations();
    const body = notification('whatsapp_business_account', [{ id: 'waba-1', changes: [whatsappMessage({ phoneNumberId: 'phone-b', id: 'wamid.Y' })] }]);
    await deliver(app, body, memoryDeduper(), dest.send);
    expect(dest.calls[0]).toMatchObject({ destination: 'globex', body, signature: hmac(body, 'globex-secret'), rewritten: false });
  });
});

describe('partial redelivery', () => {
  it('answers Meta with the failing tenant\'s status; Meta\'s retry reaches that tenant only', async () => {
    const deduper = memoryDeduper();
    const dest = destinations({ globex: 503 });
    const first = await deliver(app, batch(), deduper, dest.send);
    expect(first.ack.status).toBe(503);
    dest.calls.length = 0;
    dest.status.globex = 200;
    // Meta's retry: the same events, a new entry[].time.
    const retry = await deliver(app, batch(1_700_000_099), deduper, dest.send);
    expect(retry.ack).toEqual({ status: 200, duplicate: false });
    expect(dest.calls.map((c) => c.destination)).toEqual(['globex']);
    expect(ids(dest.calls[0]!.body)).toEqual(['wamid.B1']);
    // Its one event is a cut of the retry: rewritten, and signed under its own secret.
    expect(dest.calls[0]).toMatchObject({ rewritten: true, signature: hmac(dest.calls[0]!.body, 'globex-secret') });
  });

  it('answers 200 with the duplicate flag, sending nothing, when every event was delivered', async () => {
    const deduper = memoryDeduper();
    const dest = destinations();
    await deliver(app, batch(), deduper, dest.send);
    dest.calls.length = 0;
    const retry = await deliver(app, batch(1_700_000_500), deduper, dest.send);
    expect(retry.ack).toEqual({ status: 200, duplicate: true });
    expect(dest.calls).toEqual([]);
  });

  it('forwards only the new half of a batch half old, half new, in a rewritten body', async () => {
    const deduper = memoryDeduper();
    const plain = appWith();
    const dest = destinations();
    const old = [messengerMessage({ mid: 'm.1' }), messengerMessage({ mid: 'm.2' })];
    const fresh = [messengerMessage({ mid: 'm.3' }), messengerMessage({ mid: 'm.4' })];
    await deliver(plain, notification('page', [{ id: 'p', messaging: old }]), deduper, dest.send);
    dest.calls.length = 0;
    const mixed = notification('page', [{ id: 'p', time: 1_700_009_999, messaging: [old[0]!, fresh[0]!, old[1]!, fresh[1]!] }]);
    const result = await deliver(plain, mixed, deduper, dest.send);
    expect(dest.calls).toHaveLength(1);
    expect([...dest.calls[0]!.body.toString().matchAll(/"mid":"([^"]+)"/g)].map((m) => m[1])).toEqual(['m.3', 'm.4']);
    expect(dest.calls[0]).toMatchObject({ rewritten: true, relay: true });
    expect(result.outcomes[0]).toMatchObject({ delivered: 2, duplicate: 2 });
  });

  it('forwards an event that failed before to the same destination again', async () => {
    const deduper = memoryDeduper();
    const dest = destinations({ upstream: 500 });
    const body = notification('page', [{ id: 'p', messaging: [messengerMessage({ mid: 'm.9' })] }]);
    expect((await deliver(appWith(), body, deduper, dest.send)).ack.status).toBe(500);
    dest.status.upstream = 200;
    expect((await deliver(appWith(), body, deduper, dest.send)).ack).toEqual({ status: 200, duplicate: false });
    expect(dest.calls).toHaveLength(2);
  });
});

describe('fan-out', () => {
  const withSinks = appWith([tenant('acme', { entryIds: ['waba-1'] })], [fanOut('analytics', false), fanOut('migration', true)]);

  it('answers 200 when a destination that is not required fails, and leaves its events for the next retry', async () => {
    const deduper = memoryDeduper();
    const dest = destinations({ analytics: 502 });
    const result = await deliver(withSinks, batch(), deduper, dest.send);
    expect(result.ack).toEqual({ status: 200, duplicate: false });
    expect(result.outcomes.find((o) => o.name === 'analytics')).toMatchObject({ failed: 6, failure: 502, required: false });
    expect(dest.calls.filter((c) => c.destination === 'analytics')).toHaveLength(1);
  });

  it('gives a fan-out destination Meta\'s bytes: it gets every event', async () => {
    const dest = destinations();
    const body = batch();
    await deliver(withSinks, body, memoryDeduper(), dest.send);
    expect(dest.calls.find((c) => c.destination === 'migration')).toMatchObject({ body, signature: undefined, rewritten: false, relay: false });
  });

  it('makes Meta retry when a required fan-out destination fails', async () => {
    expect((await deliver(withSinks, batch(), memoryDeduper(), destinations({ migration: 500 }).send)).ack.status).toBe(500);
  });
});

describe('identical deliveries in flight at once', () => {
  it('sends each event to each destination once; the others wait and answer 200', async () => {
    const deduper = memoryDeduper();
    const dest = destinations({}, 30);
    const results = await Promise.all([batch(1), batch(2), batch(3)].map((b) => deliver(app, b, deduper, dest.send)));
    expect(results.map((r) => r.ack.status)).toEqual([200, 200, 200]);
    expect(dest.calls.map((c) => c.destination).sort()).toEqual(['acme', 'globex', 'initech', 'upstream']);
  });

  it('gives the waiting twin the failure of the first attempt', async () => {
    const deduper = memoryDeduper();
    const dest = destinations({ acme: 500 }, 30);
    const results = await Promise.all([batch(1), batch(2)].map((b) => deliver(app, b, deduper, dest.send)));
    expect(results.map((r) => r.ack.status)).toEqual([500, 500]);
    expect(dest.calls.filter((c) => c.destination === 'acme')).toHaveLength(1);
  });
});
