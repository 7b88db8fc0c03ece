// The TLS policy (tls.minVersion, tls.ciphers): what loads, what is refused with `file: key:
// message`, what warns, and what a real client can then negotiate.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { issue } from '../helpers/pki.js';
import { useTestbed, shopApp } from '../helpers/fixture.js';
import { EKU_SERVER_AUTH } from '../../src/tls/pki.js';
import { writeConfigFolder, withGateway as withGatewayOf, SECRET, type Harness } from '../helpers/gateway.js';
import { exchange, rawRequest, type RawResult } from '../helpers/raw.js';
import { sign } from '../helpers/client.js';
import { loadConfig } from '../../src/config/load.js';
import { summarize } from '../../src/cli/check.js';
import { TicketKeyRing, parseTicketKeyFile } from '../../src/tls/ticket-keys.js';

const { pki, upstream } = useTestbed();
/** tls.cert/tls.key overrides for an RSA server key. */
let rsa: { tls: { cert: string; key: string } };
let dir: string;
const apps = () => [shopApp(upstream)];
const BODY = '{"object":"page"}';
const DELIVERY = rawRequest('POST', '/webhooks/shop', ['Host: localhost', `X-Hub-Signature-256: ${sign(BODY, SECRET)}`, `Content-Length: ${BODY.length}`], BODY);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubgate-policy-'));
  const server = await issue({ subject: 'CN=localhost', key: 'rsa', extKeyUsages: [EKU_SERVER_AUTH], dnsNames: ['localhost'] });
  rsa = { tls: { cert: join(dir, 'rsa.crt'), key: join(dir, 'rsa.key') } };
  writeFileSync(rsa.tls.cert, server.certPem);
  writeFileSync(rsa.tls.key, server.keyPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const load = (overrides: Record<string, unknown>) => loadConfig(writeConfigFolder(join(dir, `c${n++}`), pki, overrides, apps()), {});

/** A delivery from a client limited to these TLS settings. */
function deliver(gw: Harness, tls: Record<string, unknown>): Promise<RawResult> {
  return exchange({ port: gw.port, ca: pki.serverCa, client: pki.meta, tls }, DELIVERY, { responses: 1 });
}

const withGateway = (overrides: Record<string, unknown>, run: (gw: Harness) => Promise<void>) => withGatewayOf(pki, apps(), overrides, run);

describe('the default policy', () => {
  it('is TLS 1.2 + 1.3 with ECDHE AEAD suites only, and check prints it', () => {
    const config = load({});
    expect(config.tls.policy.tls12.map((s) => s.name)).toEqual([
      'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305',
    ]);
    expect(config.tls.policy.tls12.every((s) => s.aead && s.forwardSecrecy)).toBe(true);
    expect(config.warnings).toEqual([]);
    const text = summarize(config);
    expect(text).toContain('TLS policy (default: Mozilla intermediate): TLSv1.2 and TLSv1.3, server cipher preference');
    expect(text).toContain('TLSv1.3 suites: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256');
  });

  it('lists the RSA suites for an RSA server key', () => {
    expect(load(rsa).tls.policy.tls12.map((s) => s.name)).toEqual([
      'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305',
    ]);
  });

  it('refuses a TLS 1.2 client that offers only CBC suites, serves one with AES-GCM', async () => {
    await withGateway({}, async (gw) => {
      const cbc = await deliver(gw, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA' });
      expect(cbc.statuses).toEqual([]);
      // OpenSSL 3.0 (Node 20) and 3.5 (Node 24) name the same alert differently.
      expect(cbc.error).toMatch(/^ERR_SSL_SSL(V3|\/TLS)_ALERT_HANDSHAKE_FAILURE$/);
      expect((await deliver(gw, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).statuses).toEqual([200]);
      expect((await deliver(gw, {})).statuses).toEqual([200]);
    });
  });
});

describe('tls.minVersion: TLSv1.3', () => {
  it('refuses a TLS 1.2 client and serves TLS 1.3', async () => {
    await withGateway({ tls: { minVersion: 'TLSv1.3' } }, async (gw) => {
      expect((await deliver(gw, { maxVersion: 'TLSv1.2' })).error).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
      expect((await deliver(gw, { minVersion: 'TLSv1.3' })).statuses).toEqual([200]);
    });
  });

  it('accepts a cipher string with TLS 1.3 suites only', () => {
    const config = load({ tls: { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384' } });
    expect(config.tls.policy).toMatchObject({ tls13: ['TLS_AES_256_GCM_SHA384'], tls12: [] });
    expect(summarize(config)).toContain('TLSv1.3 only');
  });
});

describe('tls.ciphers', () => {
  it.each([
    ['matches nothing', 'NOT-A-SUITE', /tls\.ciphers: selects no cipher suite \(OpenSSL: no cipher match\)/],
    ['has only RSA suites for an ECDSA key', 'ECDHE-RSA-AES128-GCM-SHA256', /tls\.ciphers: leaves no TLS 1\.2 suite usable with the server's ECDSA key \(it selects ECDHE-RSA-AES128-GCM-SHA256\)/],
    ['has only DHE suites (no DH parameters are configured)', 'DHE-RSA-AES128-GCM-SHA256', /leaves no TLS 1\.2 suite usable/],
    ['has no TLS 1.2 suite while minVersion is TLSv1.2', 'TLS_AES_128_GCM_SHA256', /tls\.ciphers: selects no TLS 1\.2 suite while minVersion is TLSv1\.2/],
    ['names an unknown TLS 1.3 suite', 'TLS_AES_512_GCM_SHA1024:ECDHE-ECDSA-AES128-GCM-SHA256', /tls\.ciphers: TLS_AES_512_GCM_SHA1024 is not a TLS 1\.3 suite/],
  ])('is a config error naming file and key when it %s', (_what, ciphers, message) => {
    expect(() => load({ tls: { ciphers } })).toThrow(/gateway\.yaml: /);
    expect(() => load({ tls: { ciphers } })).toThrow(message);
  });

  it('enabling CBC and static-RSA suites loads with warnings, and those suites then negotiate', async () => {
    const ciphers = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA';
    const config = load({ tls: { ciphers } });
    expect(config.warnings).toEqual([expect.stringMatching(/^tls\.ciphers enables TLS 1\.2 suites without authenticated encryption .*: ECDHE-ECDSA-AES128-SHA$/)]);
    expect(summarize(config)).toContain('ECDHE-ECDSA-AES128-SHA (no AEAD)');
    expect(load({ tls: { ...rsa.tls, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256' } }).warnings)
      .toEqual([expect.stringMatching(/without forward secrecy .*: AES128-GCM-SHA256$/)]);
    await withGateway({ tls: { ciphers } }, async (gw) => {
      expect((await deliver(gw, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' })).statuses).toEqual([200]);
    });
  });

  it('keeps the standard TLS 1.3 suites when the string names TLS 1.2 suites only', () => {
    const config = load({ tls: { ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' } });
    expect(config.tls.policy.tls13).toEqual(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
    expect(config.tls.policy.ciphers).toBe('TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-CHACHA20-POLY1305');
  });
});

describe('tls.ticketKeyFile', () => {
  const keyFile = (content: string | Buffer) => {
    const path = join(dir, `keys${n++}`);
    writeFileSync(path, content);
    return path;
  };

  it('reads base64 lines (newest first, comments allowed) and raw 48-byte keys', () => {
    const [a, b] = [randomBytes(48), randomBytes(48)];
    expect(load({ tls: { ticketKeyFile: keyFile(`# rotated daily\n${a.toString('base64')}\n\n${b.toString('base64')}\n`) } }).tls.ticketKeys).toEqual([a, b]);
    expect(load({ tls: { ticketKeyFile: keyFile(Buffer.concat([b, a])) } }).tls.ticketKeys).toEqual([b, a]);
    expect(summarize(load({ tls: { ticketKeyFile: keyFile(a) } }))).toMatch(/session tickets: 1 key from .*keys\d+ \(first encrypts, all decrypt\)/);
  });

  it.each([
    ['a key of the wrong size', randomBytes(47), /must hold 48-byte keys/],
    ['two keys with one name', Buffer.concat([Buffer.alloc(48, 1), Buffer.alloc(48, 1)]), /two keys with the same name/],
    ['more than 16 keys', randomBytes(48 * 17), /holds 17 keys; at most 16/],
  ])('refuses %s without quoting the file', (_what, content, message) => {
    const file = keyFile(content);
    let error = '';
    try {
      load({ tls: { ticketKeyFile: file } });
    } catch (err) {
      error = (err as Error).message;
    }
    expect(error).toMatch(/gateway\.yaml: tls\.ticketKeyFile: /);
    expect(error).toMatch(message);
    expect(error).not.toContain(content.toString('base64').slice(0, 16));
  });

  it('a missing file is a config error', () => {
    expect(() => load({ tls: { ticketKeyFile: join(dir, 'absent.keys') } })).toThrow(/tls\.ticketKeyFile: cannot read .*absent\.keys \(ENOENT\)/);
  });
});

describe('generated ticket keys', () => {
  it('keep the previous key for one rotation and drop it at the next', () => {
    const ring = new TicketKeyRing();
    const [first] = ring.keys;
    const once = ring.rotate();
    expect(once).toHaveLength(2);
    expect(once[1]).toBe(first);
    const twice = ring.rotate();
    expect(twice[1]).toBe(once[0]);
    expect(twice).not.toContain(first);
    expect(parseTicketKeyFile(Buffer.concat(twice))).toEqual(twice);
  });
});
