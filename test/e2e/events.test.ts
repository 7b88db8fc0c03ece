// SPEC.md §8–§9 end to end: real mTLS clients, real gateways, real upstreams (one recording
// server; each destination is a path on it, or a server of its own that can go down).
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventually, SECRET, startGateway, type AppSpec, type Harness } from '../helpers/gateway.js';
import { post, send, type Outcome } from '../helpers/client.js';
import { useStarted, useTestbed } from '../helpers/fixture.js';
import { startUpstream, ok, type Received, type RecordingUpstream } from '../helpers/upstream.js';
import { freePort } from '../helpers/net.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { reloadFromFile } from '../../src/server/reload.js';
import { watchConfig } from '../../src/server/watch.js';
import { messengerMessage, notification, whatsappChange, whatsappMessage, whatsappStatus } from '../helpers/meta-payloads.mjs';

const { pki, upstream } = useTestbed();

const hmac = (body: Buffer, secret: string): string => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
const status = (o: Outcome): number | string => (o.kind === 'response' ? o.status : o.code);
const header = (o: Outcome, name: string): unknown => (o.kind === 'response' ? o.headers[name] : undefined);
const at = (path: string): Received[] => upstream.received.filter((r) => r.url.split('?')[0] === path);
const wamids = (r: Received): string[] => [...r.body.toString().matchAll(/"id":"(wamid\.[^"]+)"/g)].map((m) => m[1]!);
const mids = (r: Received): string[] => [...r.body.toString().matchAll(/"mid":"([^"]+)"/g)].map((m) => m[1]!);

function deliver(gw: Harness, body: Buffer, path = '/webhooks/wa'): Promise<Outcome> {
  return post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path, body, secret: SECRET });
}

async function metric(gw: Harness, name: string): Promise<string> {
  return gw.gateway.metrics.registry.getSingleMetricAsString(name);
}

/** One WhatsApp app, three tenants on paths of the recording upstream, and the default. */
function whatsappApp(extra: Partial<AppSpec> = {}): AppSpec {
  return {
    name: 'wa',
    path: '/webhooks/wa',
    upstream: `${upstream.url}/hook`,
    dedupe: { enabled: true },
    tenants: [
      { name: 'acme', phoneNumberIds: ['106540352242922'], upstream: `${upstream.url}/acme`, signingSecret: { value: 'acme-signing-secret' } },
      { name: 'globex', phoneNumberIds: ['106540352242923'], upstream: `${upstream.url}/globex` },
      { name: 'initech', entryIds: ['102290129340399'], upstream: `${upstream.url}/initech` },
    ],
    ...extra,
  };
}

// Two WABAs, three phone numbers (two of WABA 1, one of WABA 2), plus events for the default:
// an account update of WABA 1 and a message of an unknown WABA.
const batch = (time = 1_700_000_000): Buffer =>
  notification('whatsapp_business_account', [
    {
      id: '102290129340398',
      time,
      changes: [
        whatsappMessage({ phoneNumberId: '106540352242922', id: 'wamid.ACME1', text: 'Olá café 😀 https://a.test/x' }),
        whatsappMessage({ phoneNumberId: '106540352242923', id: 'wamid.GLOBEX1' }),
        whatsappStatus({ phoneNumberId: '106540352242922', id: 'wamid.ACME0', status: 'delivered' }),
        whatsappChange('account_update', { phone_number: '15550001111', event: 'VERIFIED_ACCOUNT' }),
      ],
    },
    { id: '102290129340399', time, changes: [whatsappMessage({ phoneNumberId: '106540352242924', id: 'wamid.INITECH1' }), whatsappChange('message_template_status_update', { event: 'APPROVED', message_template_name: 'caf\u00e9' })] },
    { id: '102290129340400', time, changes: [whatsappMessage({ phoneNumberId: '106540352242999', id: 'wamid.OTHER1' })] },
  ]);

describe('a WhatsApp batch split across tenants', () => {
  const gw = useStarted('gw', () => startGateway(pki, [whatsappApp()]), (g) => g.stop());

  it('gives each tenant its events, each body re-signed and marked rewritten, and answers Meta 200', async () => {
    const body = batch();
    const outcome = await deliver(gw, body);
    expect(outcome).toMatchObject({ kind: 'response', status: 200, body: '' });
    expect(at('/acme').map(wamids)).toEqual([['wamid.ACME1', 'wamid.ACME0']]);
    expect(at('/globex').map(wamids)).toEqual([['wamid.GLOBEX1']]);
    expect(at('/initech').map(wamids)).toEqual([['wamid.INITECH1']]);
    expect(at('/hook').map(wamids)).toEqual([['wamid.OTHER1']]);
    expect(at('/hook')[0]!.body.toString()).toContain('"field":"account_update"');
    const acme = at('/acme')[0]!;
    expect(acme.headers['x-hub-signature-256']).toBe(hmac(acme.body, 'acme-signing-secret'));
    // Meta's escaping survives byte for byte: the event is a slice of the original.
    const text = body.toString();
    const event = text.slice(text.indexOf('{"value"'), text.indexOf(',{"value"'));
    expect(event).toContain('Ol\\u00e1 caf\\u00e9 \\ud83d\\ude00 https:\\/\\/a.test\\/x');
    expect(acme.body.includes(event)).toBe(true);
    expect(at('/globex')[0]!.headers['x-hub-signature-256']).toBe(hmac(at('/globex')[0]!.body, SECRET));
    for (const r of upstream.received) {
      expect(r.headers['x-hubgate-rewritten']).toBe('1');
      expect(r.headers['content-length']).toBe(String(r.body.length));
      expect(r.headers['x-hubgate-app']).toBe('wa');
    }
  });

  it('answers Meta\'s retry with a new entry[].time as a duplicate, forwarding nothing', async () => {
    const retry = await deliver(gw, batch(1_700_000_500));
    expect(status(retry)).toBe(200);
    expect(header(retry, 'x-hubgate-duplicate')).toBe('1');
    expect(upstream.received).toHaveLength(0);
  });

  it('counts events by tenant and outcome, and logs destinations and statuses but no event content', async () => {
    const events = await metric(gw, 'hubgate_events_total');
    expect(events).toContain('hubgate_events_total{app="wa",tenant="acme",outcome="delivered"} 2');
    expect(events).toContain('hubgate_events_total{app="wa",tenant="upstream",outcome="delivered"} 2');
    expect(events).toMatch(/hubgate_events_total\{app="wa",tenant="globex",outcome="duplicate"\} [1-9]/);
    const line = await eventually(() => gw.logs.find((l) => Array.isArray(l.destinations)));
    expect(line.destinations).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'acme', status: 200, delivered: 2 }), expect.objectContaining({ name: 'upstream', status: 200 })]),
    );
    const log = gw.rawLog();
    for (const secretive of ['106540352242922', '15550001111', 'wamid.ACME1', 'Ol\\u00e1', 'VERIFIED_ACCOUNT']) expect(log).not.toContain(secretive);
  });

  it('sends a delivery whose events all belong to one tenant as Meta sent it, and relays that tenant\'s answer', async () => {
    upstream.respondWith((r, res) => {
      res.writeHead(202, { 'content-type': 'text/plain', 'x-app': 'globex' });
      res.end(`took ${r.url}`);
    });
    const body = notification('whatsapp_business_account', [{ id: '102290129340398', changes: [whatsappMessage({ phoneNumberId: '106540352242923', id: 'wamid.GLOBEX2' })] }]);
    const outcome = await deliver(gw, body);
    expect(outcome).toMatchObject({ kind: 'response', status: 202, body: 'took /globex' });
    expect(header(outcome, 'x-app')).toBe('globex');
    const [r] = at('/globex');
    expect(r!.body.equals(body)).toBe(true);
    expect(r!.headers['x-hub-signature-256']).toBe(hmac(body, SECRET)); // Meta's own
    expect(r!.headers['x-hubgate-rewritten']).toBeUndefined();
  });

  it('forwards an unparsable body and a JSON body that is not a notification whole to the app upstream, counted', async () => {
    for (const body of ['{"object":"whatsapp_business_account","entry":[', '{"hello":"world"}']) {
      expect(status(await deliver(gw, Buffer.from(body)))).toBe(200);
    }
    expect(upstream.received.map((r) => [r.url, r.body.toString(), r.headers['x-hubgate-rewritten']])).toEqual([
      ['/hook', '{"object":"whatsapp_business_account","entry":[', undefined],
      ['/hook', '{"hello":"world"}', undefined],
    ]);
    expect(await metric(gw, 'hubgate_events_unparsed_total')).toContain('hubgate_events_unparsed_total{app="wa"} 2');
    expect(await eventually(() => gw.logs.filter((l) => l.unparsed).map((l) => l.unparsed))).toEqual(['invalid_json', 'not_a_notification']);
  });

  it('answers the verification GET as before', async () => {
    const outcome = await send({ port: gw.port, ca: pki.serverCa, method: 'GET', path: '/webhooks/wa?hub.mode=subscribe&hub.challenge=31337&hub.verify_token=x' });
    expect(status(outcome)).toBe(200);
    expect(at('/hook').map((r) => r.method)).toEqual(['GET']);
  });
});

describe('a tenant that is down', () => {
  let tenantPort = 0;
  let tenant: RecordingUpstream | undefined;
  const gw = useStarted(
    'gw',
    async () => {
      tenantPort = await freePort();
      const app = whatsappApp();
      (app.tenants as Array<Record<string, unknown>>)[1]!.upstream = `http://127.0.0.1:${tenantPort}/globex`;
      return startGateway(pki, [app]);
    },
    async (g) => {
      await g.stop();
      await tenant?.close();
    },
  );

  it('makes Meta retry with a 502; the retry reaches that tenant only', async () => {
    const first = await deliver(gw, batch());
    expect(first).toMatchObject({ kind: 'response', status: 502 });
    expect(first.kind === 'response' && first.body).toMatch(/^destination_failed/);
    expect(upstream.received.map((r) => r.url).sort()).toEqual(['/acme', '/hook', '/initech']);
    upstream.received.length = 0;
    tenant = await startUpstream(ok, tenantPort);
    const retry = await deliver(gw, batch(1_700_000_060));
    expect(status(retry)).toBe(200);
    expect(upstream.received).toHaveLength(0);
    expect(tenant.received.map(wamids)).toEqual([['wamid.GLOBEX1']]);
    expect(tenant.received[0]!.headers['x-hub-signature-256']).toBe(hmac(tenant.received[0]!.body, SECRET));
    expect(await metric(gw, 'hubgate_events_total')).toContain('hubgate_events_total{app="wa",tenant="globex",outcome="failed"} 1');
  });
});

describe('fan-out', () => {
  const gw = useStarted(
    'gw',
    async () =>
      startGateway(pki, [
        {
          name: 'pages',
          path: '/webhooks/pages',
          upstream: `${upstream.url}/hook`,
          dedupe: { enabled: true },
          fanOut: [
            { name: 'analytics', upstream: `http://127.0.0.1:${await freePort()}/sink`, required: false },
            { name: 'migration', upstream: `${upstream.url}/v2`, required: true },
          ],
        },
      ]),
    (g) => g.stop(),
  );
  const page = (mid: string) => notification('page', [{ id: '1353269864728879', messaging: [messengerMessage({ mid })] }]);

  it('answers 2xx when a destination that is not required is down, and counts it', async () => {
    const body = page('m_fan1');
    const outcome = await deliver(gw, body, '/webhooks/pages');
    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    // Every destination gets every event: Meta's own bytes, everywhere.
    expect(upstream.received.map((r) => [r.url, r.body.equals(body), r.headers['x-hub-signature-256']])).toEqual(
      expect.arrayContaining([['/hook', true, hmac(body, SECRET)], ['/v2', true, hmac(body, SECRET)]]),
    );
    expect(await metric(gw, 'hubgate_fanout_failures_total')).toContain('hubgate_fanout_failures_total{app="pages",destination="analytics"} 1');
  });

  it('makes Meta retry when a required fan-out destination fails, and does not send the app its events twice', async () => {
    upstream.respondWith((r, res) => {
      res.writeHead(r.url === '/v2' ? 503 : 200);
      res.end();
    });
    expect(status(await deliver(gw, page('m_fan2'), '/webhooks/pages'))).toBe(503);
    upstream.respondWith(ok);
    expect(status(await deliver(gw, page('m_fan2'), '/webhooks/pages'))).toBe(200);
    expect(upstream.received.map((r) => r.url)).toEqual(expect.arrayContaining(['/hook', '/v2', '/v2']));
    expect(at('/hook')).toHaveLength(1);
  });
});

describe('Messenger retries and partial batches', () => {
  const gw = useStarted(
    'gw',
    () => startGateway(pki, [{ name: 'msgr', path: '/webhooks/msgr', upstream: `${upstream.url}/hook`, dedupe: { enabled: true } }]),
    (g) => g.stop(),
  );
  const messages = (time: number, ...ids: string[]) => notification('page', [{ id: '1234567890', time, messaging: ids.map((mid) => messengerMessage({ mid })) }]);

  it('does not redeliver a retry whose entry[].time changed', async () => {
    const first = messages(1_700_000_000, 'm_1', 'm_2');
    expect(status(await deliver(gw, first, '/webhooks/msgr'))).toBe(200);
    expect(at('/hook')[0]!.body.equals(first)).toBe(true);
    const retry = await deliver(gw, messages(1_700_000_777, 'm_1', 'm_2'), '/webhooks/msgr');
    expect(status(retry)).toBe(200);
    expect(header(retry, 'x-hubgate-duplicate')).toBe('1');
    expect(upstream.received).toHaveLength(1);
  });

  it('forwards only the new half of a batch half old, half new, re-signed with the app secret', async () => {
    await deliver(gw, messages(1, 'm_10', 'm_11'), '/webhooks/msgr');
    upstream.received.length = 0;
    const outcome = await deliver(gw, messages(2, 'm_10', 'm_12', 'm_11', 'm_13'), '/webhooks/msgr');
    expect(status(outcome)).toBe(200);
    const [r] = at('/hook');
    expect(mids(r!)).toEqual(['m_12', 'm_13']);
    expect(r!.headers['x-hub-signature-256']).toBe(hmac(r!.body, SECRET));
    expect(r!.headers['x-hubgate-rewritten']).toBe('1');
  });
});

describe('two replicas sharing Redis', () => {
  const redis = useStarted('redis', () => startRedisServer(), (r) => r.stop());
  const app = (): AppSpec[] => [whatsappApp({ dedupe: { enabled: true, store: { redis: redis.url } } })];
  const a = useStarted('a', () => startGateway(pki, app()), (g) => g.stop());
  const b = useStarted('b', () => startGateway(pki, app()), (g) => g.stop());

  it('answers Meta\'s retry through B of a batch delivered through A as a duplicate', async () => {
    expect(status(await deliver(a, batch()))).toBe(200);
    expect(upstream.received).toHaveLength(4);
    upstream.received.length = 0;
    const retry = await deliver(b, batch(1_700_000_300));
    expect(status(retry)).toBe(200);
    expect(header(retry, 'x-hubgate-duplicate')).toBe('1');
    expect(upstream.received).toHaveLength(0);
  });

  it('forwards each event once when the same retry races through A and B', async () => {
    upstream.respondWith((_r, res) => setTimeout(() => { res.writeHead(200); res.end(); }, 150));
    const body = (t: number) => notification('page', [{ id: '102290129340399', time: t, changes: [whatsappMessage({ phoneNumberId: '106540352242923', id: 'wamid.RACE' }), whatsappMessage({ phoneNumberId: '1', id: 'wamid.RACE2' })] }]);
    const outcomes = await Promise.all([deliver(a, body(1)), deliver(b, body(2))]);
    expect(outcomes.map(status)).toEqual([200, 200]);
    expect(upstream.received.flatMap(wamids).sort()).toEqual(['wamid.RACE', 'wamid.RACE2']);
  });
});

describe('reload', () => {
  const gw = useStarted('gw', () => startGateway(pki, [whatsappApp({ tenants: (whatsappApp().tenants as unknown[]).slice(0, 1) })]), (g) => g.stop());

  it('routes to a tenant added by a reload', async () => {
    const body = notification('whatsapp_business_account', [{ id: '102290129340398', changes: [whatsappMessage({ phoneNumberId: '106540352242923', id: 'wamid.R1' })] }]);
    await deliver(gw, body);
    expect(upstream.received.map((r) => r.url)).toEqual(['/hook']);
    gw.writeConfig(undefined, [whatsappApp()]);
    expect(reloadFromFile(gw.gateway, gw.gateway.log, {})).toMatchObject({ appsChanged: ['wa'] });
    const next = notification('whatsapp_business_account', [{ id: '102290129340398', changes: [whatsappMessage({ phoneNumberId: '106540352242923', id: 'wamid.R2' })] }]);
    await deliver(gw, next);
    expect(upstream.received.map((r) => r.url)).toEqual(['/hook', '/globex']);
  });

  it('routes to a tenant whose file appears in a watched tenantsDir', async () => {
    const tenants = mkdtempSync(join(tmpdir(), 'hubgate-tenants-'));
    const [acme, globex] = whatsappApp().tenants as object[];
    writeFileSync(join(tenants, 'acme.yaml'), stringify(acme));
    const watched = await startGateway(pki, [whatsappApp({ tenants: undefined, tenantsDir: tenants })], { watch: true });
    const stop = watchConfig(watched.config, watched.gateway.log, () => reloadFromFile(watched.gateway, watched.gateway.log, {}), 100);
    try {
      writeFileSync(join(tenants, 'globex.yaml'), stringify(globex));
      await eventually(() => watched.gateway.config.apps[0]!.tenants.length === 2);
      const body = notification('whatsapp_business_account', [{ id: '102290129340398', changes: [whatsappMessage({ phoneNumberId: '106540352242923', id: 'wamid.W1' })] }]);
      expect(status(await deliver(watched, body))).toBe(200);
      expect(upstream.received.map((r) => r.url)).toEqual(['/globex']);
    } finally {
      stop();
      await watched.stop();
      rmSync(tenants, { recursive: true, force: true });
    }
  });
});
