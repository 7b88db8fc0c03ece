// Stage 1 through the real gateway: the allowlist fetched from a fake RPSL whois server, checked on
// the raw TCP connection before any TLS byte, and PROXY protocol v1/v2 from a trusted balancer.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpGet } from '../helpers/net.js';
import { startGateway, SECRET, eventually, type Harness } from '../helpers/gateway.js';
import { startFakeWhois } from '../helpers/fake-whois.js';
import { useTestbed, useStarted, shopApp } from '../helpers/fixture.js';
import { post, sign, type Outcome } from '../helpers/client.js';

const rpsl = (...routes: string[]) =>
  routes.map((r) => `${r.includes(':') ? 'route6' : 'route'}: ${r}\norigin: AS32934\nmnt-by: MAINT-AS32934\n`).join('\n');

const { pki, upstream } = useTestbed();
const whois = useStarted('whois', () => startFakeWhois(rpsl('127.0.0.1/32', '::1/128', '157.240.0.0/16')), (w) => w.close());
let scratch: string;
const apps = () => [shopApp(upstream)];

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'hubgate-addr-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  whois.setMode('answer');
});

function allowlist(extra: Record<string, unknown> = {}) {
  return { allowlist: { enabled: true, whois: { host: whois.host, port: whois.port, timeoutMs: 2000 }, ...extra } };
}

function deliver(gw: Harness, host = '127.0.0.1'): Promise<Outcome> {
  return post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: '{"a":1}', secret: SECRET, connectHost: host });
}

const readyz = async (gw: Harness) => (await httpGet(gw.adminPort, '/readyz')).status;

async function refusedAt(gw: Harness, reason: string, host?: string): Promise<void> {
  const outcome = await deliver(gw, host);
  expect(outcome.kind).toBe('closed');
  expect(upstream.received).toHaveLength(0);
  await eventually(() => gw.logs.find((l) => l.reason === reason));
  const metric = await gw.gateway.metrics.registry.getSingleMetricAsString('hubgate_rejections_total');
  expect(metric).toContain(`stage="address",reason="${reason}"`);
}

describe('the AS32934 allowlist', () => {
  it('lets an address in the list through (IPv4) and exports the prefix gauges', async () => {
    const gw = await startGateway(pki, apps(), allowlist());
    try {
      expect(await deliver(gw)).toMatchObject({ kind: 'response', status: 200 });
      expect(await readyz(gw)).toBe(200);
      const text = await gw.gateway.metrics.registry.metrics();
      expect(text).toMatch(/hubgate_allowlist_prefixes 3/);
      expect(text).toMatch(/hubgate_allowlist_last_success_timestamp_seconds \d{10}/);
    } finally {
      await gw.stop();
    }
  });

  it('closes a connection from an address outside the list before the TLS handshake', async () => {
    whois.setAnswer(rpsl('157.240.0.0/16', '2a03:2880::/32'));
    const gw = await startGateway(pki, apps(), allowlist());
    try {
      await refusedAt(gw, 'address_not_allowed');
    } finally {
      await gw.stop();
      whois.setAnswer(rpsl('127.0.0.1/32', '::1/128', '157.240.0.0/16'));
    }
  });

  it('matches IPv6 sources against route6 prefixes', async () => {
    const gw = await startGateway(pki, apps(), { ...allowlist(), listen: { host: '::1', port: 0 } });
    try {
      expect(await deliver(gw, '::1')).toMatchObject({ kind: 'response', status: 200 });
    } finally {
      await gw.stop();
    }
    whois.setAnswer(rpsl('127.0.0.1/32', '2a03:2880::/32'));
    upstream.received.length = 0;
    const refusing = await startGateway(pki, apps(), { ...allowlist(), listen: { host: '::1', port: 0 } });
    try {
      await refusedAt(refusing, 'address_not_allowed', '::1');
    } finally {
      await refusing.stop();
      whois.setAnswer(rpsl('127.0.0.1/32', '::1/128', '157.240.0.0/16'));
    }
  });

  it('matches an IPv4-mapped source on a dual-stack listener as IPv4', async () => {
    whois.setAnswer(rpsl('127.0.0.1/32'));
    const gw = await startGateway(pki, apps(), { ...allowlist(), listen: { host: '::', port: 0 } });
    try {
      expect(await deliver(gw, '127.0.0.1')).toMatchObject({ kind: 'response', status: 200 });
      expect(upstream.received[0]!.headers['x-forwarded-for']).toBe('127.0.0.1');
    } finally {
      await gw.stop();
      whois.setAnswer(rpsl('127.0.0.1/32', '::1/128', '157.240.0.0/16'));
    }
  });

  it('fails closed with /readyz 503 when whois is down and there is no cache', async () => {
    await whois.down();
    const gw = await startGateway(pki, apps(), allowlist());
    try {
      expect(await readyz(gw)).toBe(503);
      await refusedAt(gw, 'allowlist_unavailable');
    } finally {
      await gw.stop();
      await whois.up();
    }
  });

  it('serves from the cache file when whois is down', async () => {
    const cacheFile = join(scratch, 'allowlist.json');
    const warm = await startGateway(pki, apps(), allowlist({ cacheFile }));
    await warm.stop();
    await whois.down();
    const gw = await startGateway(pki, apps(), allowlist({ cacheFile }));
    try {
      expect(await readyz(gw)).toBe(200);
      expect(await deliver(gw)).toMatchObject({ kind: 'response', status: 200 });
    } finally {
      await gw.stop();
      await whois.up();
    }
  });
});

/** A client behind a balancer: the PROXY header, then TLS on the same TCP connection. */
function viaProxy(gw: Harness, header: Buffer | string): Promise<Outcome> {
  return new Promise((resolve) => {
    const raw = netConnect({ host: '127.0.0.1', port: gw.port }, () => {
      raw.write(header);
      const body = '{"via":"proxy"}';
      const tls = tlsConnect({ socket: raw, servername: 'localhost', ca: pki.serverCa, ...pki.meta }, () => {
        // write, not end: Node's HTTP server treats a half-close as an aborted request.
        tls.write(
          `POST /webhooks/shop HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
            `X-Hub-Signature-256: ${sign(body, SECRET)}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        );
      });
      let data = '';
      tls.on('data', (d: Buffer) => (data += d.toString()));
      const done = () => {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
        resolve(m ? { kind: 'response', status: Number(m[1]), headers: {}, body: data } : { kind: 'closed', code: 'closed' });
        tls.destroy();
      };
      tls.on('end', done);
      tls.on('close', done);
      tls.on('error', () => undefined);
    });
    raw.on('error', () => resolve({ kind: 'closed', code: 'error' }));
  });
}

function proxyV2(source: string, sourcePort: number): Buffer {
  const sig = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');
  const addr = Buffer.alloc(12);
  source.split('.').forEach((o, i) => addr.writeUInt8(Number(o), i));
  [127, 0, 0, 1].forEach((o, i) => addr.writeUInt8(o, 4 + i));
  addr.writeUInt16BE(sourcePort, 8);
  addr.writeUInt16BE(443, 10);
  return Buffer.concat([sig, Buffer.from([0x21, 0x11, 0x00, 12]), addr]);
}

describe('PROXY protocol', () => {
  it('takes the client address from a v1 header sent by a trusted proxy', async () => {
    const gw = await startGateway(pki, apps(), { proxyProtocol: { enabled: true, trustedProxies: ['127.0.0.0/8'] } });
    try {
      const outcome = await viaProxy(gw, 'PROXY TCP4 157.240.1.2 127.0.0.1 40000 443\r\n');
      expect(outcome).toMatchObject({ kind: 'response', status: 200 });
      expect(upstream.received[0]!.headers['x-forwarded-for']).toBe('157.240.1.2');
    } finally {
      await gw.stop();
    }
  });

  it('checks the allowlist against the address in a v2 header', async () => {
    const gw = await startGateway(pki, apps(), { ...allowlist(), proxyProtocol: { enabled: true, trustedProxies: ['127.0.0.1'] } });
    try {
      expect(await viaProxy(gw, proxyV2('157.240.9.9', 50000))).toMatchObject({ kind: 'response', status: 200 });
      expect(upstream.received[0]!.headers['x-forwarded-for']).toBe('157.240.9.9');
      upstream.received.length = 0;
      expect((await viaProxy(gw, proxyV2('203.0.113.5', 50000))).kind).toBe('closed');
      expect(upstream.received).toHaveLength(0);
    } finally {
      await gw.stop();
    }
  });

  it('refuses a connection from an address outside trustedProxies', async () => {
    const gw = await startGateway(pki, apps(), { proxyProtocol: { enabled: true, trustedProxies: ['10.0.0.0/8'] } });
    try {
      expect((await viaProxy(gw, 'PROXY TCP4 157.240.1.2 127.0.0.1 40000 443\r\n')).kind).toBe('closed');
      expect(upstream.received).toHaveLength(0);
      await eventually(() => gw.logs.find((l) => l.reason === 'proxy_untrusted'));
    } finally {
      await gw.stop();
    }
  });

  it('refuses a connection without a valid header while enabled', async () => {
    const gw = await startGateway(pki, apps(), { proxyProtocol: { enabled: true, trustedProxies: ['127.0.0.0/8'] } });
    try {
      expect((await deliver(gw)).kind).toBe('closed');
      expect(upstream.received).toHaveLength(0);
      await eventually(() => gw.logs.find((l) => l.reason === 'proxy_header_invalid'));
    } finally {
      await gw.stop();
    }
  });
});
