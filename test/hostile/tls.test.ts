// Hostile TLS: old protocol versions, renegotiation, monstrous and looping client chains, odd
// SNI, ALPN without HTTP/1.1. Each refusal is proven at the client (an alert or a close, no
// HTTP answer), at the app (nothing received) and in the log.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { issue, META_CN, type ClientCredentials } from '../helpers/pki.js';
import { createRoot, type Issued } from '../../src/tls/pki.js';
import { startGateway, SECRET, eventually } from '../helpers/gateway.js';
import { sign } from '../helpers/client.js';
import { useGateway } from '../helpers/fixture.js';
import { exchange, openTls, rawRequest, type RawResult, type RawTarget } from '../helpers/raw.js';

const { pki, upstream, gw } = useGateway();

const BODY = '{"object":"whatsapp_business_account"}';
const DELIVERY = rawRequest('POST', '/webhooks/shop', ['Host: localhost', `X-Hub-Signature-256: ${sign(BODY, SECRET)}`, `Content-Length: ${BODY.length}`], BODY);
const ANY_SERVER_NAME = { checkServerIdentity: () => undefined };

function target(tls: RawTarget['tls'] = {}, client: ClientCredentials | undefined = pki.meta): RawTarget {
  return { port: gw.port, ca: pki.serverCa, client, tls };
}

/** A signed delivery over a connection with these TLS options. */
function deliver(tls: RawTarget['tls'], client?: ClientCredentials): Promise<RawResult> {
  return exchange(target(tls, client), DELIVERY, { responses: 1 });
}

async function rejections(reason: string): Promise<number> {
  const metric = await gw.gateway.metrics.rejections.get();
  return metric.values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
}

async function expectHandshakeRefused(r: RawResult, clientCode: string, serverCode: string, before: number): Promise<void> {
  expect(r.statuses).toEqual([]);
  expect(r.error).toBe(clientCode);
  expect(upstream.received).toHaveLength(0);
  const line = await eventually(() => gw.logs.slice(before).find((l) => l.msg === 'TLS handshake failed'));
  expect(line.code).toBe(serverCode);
}

async function expectChainRefused(r: RawResult, reason: string, before: number): Promise<Record<string, unknown>> {
  expect(r.statuses).toEqual([]);
  expect(r.closed).toBe(true);
  expect(upstream.received).toHaveLength(0);
  const line = await eventually(() => gw.logs.slice(before).find((l) => l.msg === 'connection refused'));
  expect(line.reason).toBe(reason);
  return line;
}

describe('protocol versions', () => {
  // OpenSSL 3 refuses TLS 1.0/1.1 on the client at its default security level, before a byte
  // is sent; SECLEVEL=0 makes the client offer them, so the refusal proven is the gateway's.
  const legacy = { ciphers: 'DEFAULT@SECLEVEL=0' };

  it.each(['TLSv1', 'TLSv1.1'] as const)('refuses %s with a protocol_version alert', async (version) => {
    const before = gw.logs.length;
    const malformedBefore = await rejections('malformed_request');
    const r = await deliver({ ...legacy, minVersion: version, maxVersion: version });
    await expectHandshakeRefused(r, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL', before);
    // Found by this suite: https re-emits every failed handshake as clientError, which was
    // logged and counted as a malformed HTTP request.
    expect(await rejections('malformed_request')).toBe(malformedBefore);
    expect(gw.logs.slice(before).filter((l) => l.msg === 'request refused')).toEqual([]);
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('serves %s', async (version) => {
    const r = await deliver({ minVersion: version, maxVersion: version });
    expect(r.statuses).toEqual([200]);
    expect(upstream.received).toHaveLength(1);
  });
});

describe('renegotiation (TLS 1.2)', () => {
  /** The refusal arrives as an 'error' on the socket (the callback only hears of success). */
  function renegotiate(socket: TLSSocket): Promise<string> {
    return new Promise((resolve) => {
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      socket.once('close', () => resolve('closed'));
      socket.renegotiate({ rejectUnauthorized: false }, (err) => resolve(err ? ((err as NodeJS.ErrnoException).code ?? err.message) : 'renegotiated'));
    });
  }

  function connected(): Promise<TLSSocket> {
    const socket = openTls(target({ maxVersion: 'TLSv1.2' }));
    return new Promise((resolve) => socket.once('secureConnect', () => resolve(socket)));
  }

  it('refuses a client-initiated renegotiation and closes the connection', async () => {
    const before = gw.logs.length;
    const socket = await connected();
    expect(await renegotiate(socket)).toBe('ERR_SSL_NO_RENEGOTIATION');
    socket.on('error', () => undefined);
    await new Promise((r) => (socket.destroyed ? r(null) : socket.once('close', r)));
    expect(upstream.received).toHaveLength(0);
    const line = await eventually(() => gw.logs.slice(before).find((l) => l.msg === 'connection error'));
    expect(line.code).toMatch(/^ERR_SSL_/);
  });

  it('refuses a renegotiation after a delivery, which stays delivered once', async () => {
    const socket = await connected();
    const answered = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString('latin1'))));
    socket.write(DELIVERY);
    expect(await answered).toMatch(/^HTTP\/1\.1 200 /);
    expect(await renegotiate(socket)).toBe('ERR_SSL_NO_RENEGOTIATION');
    socket.on('error', () => undefined);
    socket.destroy();
    expect(upstream.received).toHaveLength(1);
  });
});

describe('client certificate chains', () => {
  it('refuses a 180 kB chain at the handshake (OpenSSL: excessive message size)', async () => {
    const before = gw.logs.length;
    const padding = Array.from({ length: 300 }, () => pki.intermediate.certPem).join('');
    expect(padding.length).toBeGreaterThan(150_000);
    const r = await deliver({}, { cert: pki.leaf.certPem + padding, key: pki.leaf.keyPem });
    expect(r.statuses).toEqual([]);
    expect(r.error).toMatch(/^ERR_SSL_/);
    expect(upstream.received).toHaveLength(0);
    const line = await eventually(() => gw.logs.slice(before).find((l) => l.msg === 'TLS handshake failed'));
    expect(line.code).toBe('ERR_SSL_EXCESSIVE_MESSAGE_SIZE');
  });

  it('judges a chain padded with 100 copies of its intermediate by its verified path (depth 2)', async () => {
    const padding = Array.from({ length: 100 }, () => pki.intermediate.certPem).join('');
    const r = await deliver({}, { cert: pki.leaf.certPem + padding, key: pki.leaf.keyPem });
    expect(r.statuses).toEqual([200]);
    expect(upstream.received).toHaveLength(1);
  });

  it('refuses a valid 40-deep chain as chain_too_deep, its depth walk bounded', async () => {
    const root = await createRoot('Deep Root');
    let issuer: Issued = root;
    const intermediates: Issued[] = [];
    for (let i = 0; i < 40; i++) {
      issuer = await issue({ subject: `CN=Deep ${i}, O=hubgate test PKI`, issuer, ca: true });
      intermediates.unshift(issuer);
    }
    const leaf = await issue({ subject: `CN=${META_CN}`, issuer });
    const anchor = join(pki.dir, 'deep-root.pem');
    writeFileSync(anchor, root.certPem);
    const deep = await startGateway(pki, [{ name: 'shop', path: '/webhooks/shop', upstream: `${upstream.url}/hook` }], {
      clientAuth: { trustAnchors: [anchor] },
    });
    try {
      const before = deep.logs.length;
      const r = await exchange({ port: deep.port, ca: pki.serverCa, client: pki.chain(leaf, ...intermediates) }, DELIVERY, { responses: 1 });
      expect(r.statuses).toEqual([]);
      expect(upstream.received).toHaveLength(0);
      const line = await eventually(() => deep.logs.slice(before).find((l) => l.msg === 'connection refused'));
      expect(line.reason).toBe('chain_too_deep');
    } finally {
      await deep.stop();
    }
  });

  describe('a chain with a loop (two CAs signing each other)', () => {
    it('refuses A ↔ B cross-signed issuers that never reach an anchor', async () => {
      const selfSignedA = await createRoot('Loop CA A');
      const b = await issue({ subject: 'CN=Loop CA B, O=hubgate test PKI', issuer: selfSignedA, ca: true });
      const a = await issue({ subject: selfSignedA.cert.subject, issuer: b, ca: true }); // A, signed by B
      const leaf = await issue({ subject: `CN=${META_CN}`, issuer: a });
      const before = gw.logs.length;
      const r = await deliver({}, pki.chain(leaf, a, b, selfSignedA));
      await expectChainRefused(r, 'chain_untrusted', before);
    });

    it('refuses a loop hanging off the trusted intermediate (I′ signed by B, B signed by I)', async () => {
      // I′ carries the genuine intermediate's name with its own key; B is issued by the genuine
      // intermediate (whose pathlen 0 forbids it). The builder must stop, not go round.
      const b = await issue({ subject: 'CN=Loop CA B, O=hubgate test PKI', issuer: pki.intermediate, ca: true });
      const iPrime = await issue({ subject: pki.intermediate.cert.subject, issuer: b, ca: true });
      const leaf = await issue({ subject: `CN=${META_CN}`, issuer: iPrime });
      const before = gw.logs.length;
      const r = await deliver({}, pki.chain(leaf, iPrime, b, pki.intermediate));
      const line = await expectChainRefused(r, 'chain_untrusted', before);
      expect(line.detail).toMatch(/^[A-Z_]+$/);
    });

    it('accepts Meta’s genuine chain with a looping pair appended: the loop is never walked', async () => {
      const b = await issue({ subject: 'CN=Loop CA B, O=hubgate test PKI', issuer: pki.intermediate, ca: true });
      const iPrime = await issue({ subject: pki.intermediate.cert.subject, issuer: b, ca: true });
      const r = await deliver({}, pki.chain(pki.leaf, pki.intermediate, iPrime, b));
      expect(r.statuses).toEqual([200]);
      expect(upstream.received).toHaveLength(1);
    });
  });
});

describe('SNI', () => {
  it('serves a client that sends no SNI (an IP address target)', async () => {
    const r = await deliver({ servername: undefined, ...ANY_SERVER_NAME });
    expect(r.statuses).toEqual([200]);
    expect(upstream.received).toHaveLength(1);
  });

  it.each([
    ['a foreign name', 'evil.example'],
    ['a 253-character name', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`],
    ['underscores, an empty label and a trailing dot', 'under_score..EVIL.example.'],
    ['control and non-ASCII bytes', 'a\u0000b\u00ff'],
  ])('ignores SNI holding %s: identity is the certificate, routing is the Host header', async (_what, servername) => {
    const r = await deliver({ servername, ...ANY_SERVER_NAME });
    expect(r.statuses).toEqual([200]);
    expect(upstream.received.map((x) => x.headers.host)).toEqual(['localhost']);
  });
});

describe('ALPN', () => {
  it('refuses a client offering only h2 with a no_application_protocol alert', async () => {
    const before = gw.logs.length;
    const r = await deliver({ ALPNProtocols: ['h2'] });
    await expectHandshakeRefused(r, 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL', 'ERR_SSL_NO_APPLICATION_PROTOCOL', before);
  });

  it('selects http/1.1 when the client offers h2 and http/1.1', async () => {
    const socket = openTls(target({ ALPNProtocols: ['h2', 'http/1.1'] }));
    const protocol = await new Promise((r) => socket.once('secureConnect', () => r(socket.alpnProtocol)));
    socket.destroy();
    expect(protocol).toBe('http/1.1');
    expect((await deliver({ ALPNProtocols: ['h2', 'http/1.1'] })).statuses).toEqual([200]);
  });
});

describe('not TLS at all', () => {
  it('closes a plaintext HTTP request sent to the TLS port without forwarding it', async () => {
    const before = gw.logs.length;
    const closed = await new Promise<string>((resolve) => {
      const socket = netConnect(gw.port, '127.0.0.1', () => socket.write(DELIVERY));
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(answer));
    });
    expect(closed).not.toMatch(/HTTP\/1\.1 2/);
    expect(upstream.received).toHaveLength(0);
    await eventually(() => gw.logs.slice(before).find((l) => l.msg === 'TLS handshake failed'));
  });
});
