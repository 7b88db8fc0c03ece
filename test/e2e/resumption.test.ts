// Session resumption never outlives a trust decision, and ticket keys rotate as documented. Each
// case is a real handshake offering a saved session (TLS 1.2 ticket or TLS 1.3 PSK) and checks
// whether OpenSSL resumed it and whether the gateway served the delivery.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRoot, createCrl } from '../../src/tls/pki.js';
import { startGateway, SECRET, eventually, type Harness } from '../helpers/gateway.js';
import { useTestbed, useStarted, shopApp } from '../helpers/fixture.js';
import { attempt, type ResumeTarget } from '../helpers/resume.js';
import { reloadFromFile } from '../../src/server/reload.js';

const { pki, upstream } = useTestbed();
const apps = () => [shopApp(upstream)];
const VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

function target(gw: Harness, version: ResumeTarget['version'], client = pki.meta): ResumeTarget {
  return { port: gw.port, ca: pki.serverCa, client, version, secret: SECRET };
}

/** A full handshake that is served, and the session it leaves. */
async function savedSession(t: ResumeTarget): Promise<Buffer> {
  const first = await attempt(t);
  expect(first).toMatchObject({ reused: false, status: 200 });
  return first.latest!;
}

async function reload(gw: Harness, overrides: Record<string, unknown>): Promise<void> {
  gw.writeConfig(overrides, apps());
  expect(reloadFromFile(gw.gateway, gw.gateway.log, {})).not.toBeNull();
}

describe.each(VERSIONS)('%s resumption', (version) => {
  const gw = useStarted('gw', () => startGateway(pki, apps(), {}), (g) => g.stop());

  it('resumes a saved session and serves it', async () => {
    const session = await savedSession(target(gw, version));
    expect(await attempt(target(gw, version), session)).toMatchObject({ reused: true, status: 200 });
  });

  it('keeps resuming across a reload that changes no trust decision (an app secret rotation)', async () => {
    const session = await savedSession(target(gw, version));
    await reload(gw, { limits: { maxBodyBytes: 1_000_000 } });
    expect(await attempt(target(gw, version), session)).toMatchObject({ reused: true, status: 200 });
  });

  it('does not resume after a reload that changes clientAuth.commonNames: full handshake, judged anew', async () => {
    const session = await savedSession(target(gw, version));
    await reload(gw, { clientAuth: { commonNames: ['client.webhooks.fbclientcerts.com', 'other.example'] } });
    expect(await attempt(target(gw, version), session)).toMatchObject({ reused: false, status: 200 });
  });

  it('does not resume after a reload that changes the CRLs', async () => {
    const session = await savedSession(target(gw, version));
    const root = join(pki.dir, `root-${version}.crl`);
    const int = join(pki.dir, `int-${version}.crl`);
    const issuer = join(pki.dir, 'int.pem');
    writeFileSync(root, await createCrl(pki.root));
    writeFileSync(int, await createCrl(pki.intermediate));
    writeFileSync(issuer, pki.intermediate.certPem);
    await reload(gw, { clientAuth: { crls: [root, int], crlIssuers: [issuer] } });
    expect(await attempt(target(gw, version), session)).toMatchObject({ reused: false, status: 200 });
  });

  it('refuses a saved session after a reload that removes its trust anchor', async () => {
    const session = await savedSession(target(gw, version));
    const other = join(pki.dir, 'other-root.pem');
    writeFileSync(other, (await createRoot('Unrelated Root')).certPem);
    await reload(gw, { clientAuth: { trustAnchors: [other] } });
    const before = gw.logs.length;
    const r = await attempt(target(gw, version), session);
    expect(r).toMatchObject({ reused: false, status: undefined });
    const line = await eventually(() => gw.logs.slice(before).find((l) => l.msg === 'connection refused'));
    expect(line.reason).toBe('chain_untrusted');
    await reload(gw, {});
  });

  it('leaves a client refused at stages 2–3 no session to resume', async () => {
    const wrongCn = await pki.leafWith({ subject: 'CN=attacker.example' });
    const r = await attempt(target(gw, version, pki.chain(wrongCn, pki.intermediate)));
    expect(r).toMatchObject({ status: undefined, sessions: [] });
  });
});

describe('a CRL passing its nextUpdate while sessions live (crlExpired: refuse)', () => {
  it('stops their resumption without a reload: the full handshake is refused', async () => {
    const DAY = 86_400_000;
    const staleAt = new Date(Date.now() + 3_000);
    const [root, int, issuer] = ['stale-root.crl', 'stale-int.crl', 'stale-int.pem'].map((f) => join(pki.dir, f));
    writeFileSync(root!, await createCrl(pki.root));
    writeFileSync(int!, await createCrl(pki.intermediate, { thisUpdate: new Date(Date.now() - DAY), nextUpdate: staleAt }));
    writeFileSync(issuer!, pki.intermediate.certPem);
    const gw = await startGateway(pki, apps(), { clientAuth: { crls: [root, int], crlIssuers: [issuer] } });
    try {
      const sessions = await Promise.all(VERSIONS.map((v) => savedSession(target(gw, v))));
      await eventually(() => gw.logs.find((l) => l.msg === 'CRL passed its nextUpdate'), 10_000);
      for (const [i, v] of VERSIONS.entries()) {
        expect(await attempt(target(gw, v), sessions[i])).toMatchObject({ reused: false, status: undefined });
      }
      const refused = gw.logs.filter((l) => l.msg === 'connection refused').map((l) => l.detail);
      expect(refused).toEqual(['CRL_HAS_EXPIRED at depth 0', 'CRL_HAS_EXPIRED at depth 0']);
    } finally {
      await gw.stop();
    }
  });
});

describe.each(VERSIONS)('%s ticket key rotation (tls.ticketKeyFile)', (version) => {
  it('resumes a ticket of the previous key, and not one from two rotations ago', async () => {
    const keyFile = join(pki.dir, `ticket-${version}.keys`);
    const key = () => randomBytes(48).toString('base64');
    const [k1, k2, k3] = [key(), key(), key()];
    writeFileSync(keyFile, `${k1}\n`);
    const gw = await startGateway(pki, apps(), { tls: { ticketKeyFile: keyFile } });
    try {
      const t = target(gw, version);
      const old = await savedSession(t);
      writeFileSync(keyFile, `# newest first\n${k2}\n${k1}\n`);
      await reload(gw, { tls: { ticketKeyFile: keyFile } });
      const previous = await attempt(t, old);
      expect(previous).toMatchObject({ reused: true, status: 200 });
      expect(previous.latest).toBeDefined();
      expect(previous.latest!.equals(old)).toBe(false); // renewed under the current key
      writeFileSync(keyFile, `${k3}\n${k2}\n`);
      await reload(gw, { tls: { ticketKeyFile: keyFile } });
      expect(await attempt(t, old)).toMatchObject({ reused: false, status: 200 });
      expect(await attempt(t, previous.latest)).toMatchObject({ reused: true, status: 200 });
      // Keys never reach the log, in any encoding.
      for (const k of [k1, k2, k3]) {
        for (const form of [k, Buffer.from(k, 'base64').toString('hex')]) expect(gw.rawLog()).not.toContain(form.slice(0, 24));
      }
    } finally {
      await gw.stop();
    }
  });
});
