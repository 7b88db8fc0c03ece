// Every check of `hubgate probe` provoked into failing at least once, against a real gateway with
// a broken certificate or setting, or against a deliberately broken HTTPS server that is not
// hubgate. Each test also shows the neighbouring checks still pass: the probe names the fault.
import { describe, it, expect } from 'vitest';
import { startGateway, SECRET } from '../helpers/gateway.js';
import { useTestbed, useStarted, shopApp } from '../helpers/fixture.js';
import { freePort } from '../helpers/net.js';
import { createServerPki, startBrokenHttps, startHangUp, pemOf, probeUrl, statuses, type ServerPki } from '../helpers/probe.js';

const TOKEN = 'probe-verify-token';
const { pki, upstream } = useTestbed();
const server = useStarted('server PKI', createServerPki, () => undefined);
const apps = () => [{ ...shopApp(upstream), verifyToken: { value: TOKEN } }];
const url = (port: number) => `https://localhost:${port}/webhooks/shop`;

/** A gateway serving the certificate `cert` describes; the probe trusts the server PKI's root. */
async function probeGateway(cert: Parameters<ServerPki['serverCert']>[2], options: Record<string, unknown> = {}) {
  const gw = await startGateway(pki, apps(), { tls: await server.serverCert(pki.dir, `cert-${Date.now()}`, cert) });
  try {
    return await probeUrl(url(gw.port), { ca: [server.root.certPem], verifyToken: TOKEN, ...options });
  } finally {
    await gw.stop();
  }
}

describe('reaching the endpoint', () => {
  it('fails DNS for a name that does not resolve, and runs nothing after it', async () => {
    const v = await probeUrl('https://callback.example.test/webhooks/shop', {
      resolve: async () => { throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' }); },
    });
    expect(v.dns).toMatchObject({ status: 'fail', detail: expect.stringContaining('ENOTFOUND') });
    expect(Object.values(v).filter((c) => c.id !== 'dns').every((c) => c.status === 'skip')).toBe(true);
  });

  it('fails TCP on a port nobody listens on', async () => {
    const v = await probeUrl(url(await freePort()));
    expect(v.tcp).toMatchObject({ status: 'fail', detail: expect.stringContaining('ECONNREFUSED') });
    expect(v.tls!.status).toBe('skip');
  });

  it('fails TLS when the server hangs up before the handshake, pointing at the allowlist', async () => {
    const hangUp = await startHangUp();
    try {
      const v = await probeUrl(url(hangUp.port));
      expect(v.tcp!.status).toBe('pass');
      expect(v.tls).toMatchObject({ status: 'fail', fix: expect.stringContaining('allowlist') });
      expect(v.chain!.status).toBe('skip');
    } finally {
      await hangUp.close();
    }
  });
});

describe('the server certificate', () => {
  it('calls out a missing intermediate (the leaf alone is served)', async () => {
    const v = await probeGateway({ chain: 'leaf' });
    expect(v.chain).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^missing intermediate: .*UNABLE_TO_VERIFY_LEAF_SIGNATURE/) });
    expect(v.chain!.fix).toContain('append the intermediate');
    expect([v.name!.status, v.expiry!.status]).toEqual(['pass', 'pass']);
  });

  it('calls out a self-signed certificate', async () => {
    const v = await probeGateway({ chain: 'self-signed' });
    expect(v.chain).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^self-signed certificate .*DEPTH_ZERO_SELF_SIGNED_CERT/) });
  });

  it('calls out an issuer no trust store holds (a private CA)', async () => {
    const v = await probeGateway({ chain: 'full' }, { ca: [] });
    expect(v.chain).toMatchObject({ status: 'fail', detail: expect.stringContaining('unknown issuer: the server sent 2 certificates') });
  });

  it('fails the name check for a certificate that names another host', async () => {
    const v = await probeGateway({ chain: 'full', dnsName: 'callback.example.com' });
    expect(v.name).toMatchObject({ status: 'fail', detail: expect.stringContaining('does not name localhost (it names DNS:callback.example.com)') });
    expect(v.chain!.status).toBe('pass');
  });

  it('fails the expiry check 30 days ahead', async () => {
    const v = await probeGateway({ chain: 'full', days: 10 });
    expect(v.expiry).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^the certificate expires in (9|10) days/) });
    expect(v.chain!.status).toBe('pass');
  });
});

describe('a server that is not hubgate: no client certificate asked, 200 to everything', () => {
  const broken = useStarted('broken server', async () => startBrokenHttps(
    { ...pemOf(await server.serverCert(pki.dir, 'broken', { chain: 'full' })), requestCert: false },
    (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}'); },
  ), (b) => b.close());
  const verdict = () => probeUrl(url(broken.port), { ca: [server.root.certPem], verifyToken: TOKEN });

  it('fails the client-certificate check and names the likely cause', async () => {
    const v = await verdict();
    expect(v.client_cert_request).toMatchObject({ status: 'fail', fix: expect.stringContaining('TLS must terminate in hubgate') });
    expect(v.client_ca_names!.status).toBe('skip');
    expect([v.chain!.status, v.name!.status]).toEqual(['pass', 'pass']);
  });

  it('fails the verification GET that answers 200 without echoing the challenge', async () => {
    const v = await verdict();
    expect(v.verification_get).toMatchObject({ status: 'fail', detail: expect.stringContaining('not exactly hub.challenge') });
    expect(v.verification_get!.detail).toContain('{\\"ok\\":true}');
  });

  it('fails the unsigned POST answered 2xx', async () => {
    const v = await verdict();
    expect(v.unsigned_post).toMatchObject({ status: 'fail', detail: expect.stringContaining('anyone can forge deliveries') });
  });
});

describe('a TLS 1.3-only server', () => {
  it('does not guess whether it asks for a client certificate: the CertificateRequest is encrypted', async () => {
    const only13 = await startBrokenHttps(
      { ...pemOf(await server.serverCert(pki.dir, 'tls13', { chain: 'full' })), minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: false },
      (_req, res) => { res.writeHead(403); res.end(); },
    );
    try {
      const v = await probeUrl(url(only13.port), { ca: [server.root.certPem] });
      expect(v.tls).toMatchObject({ status: 'pass', detail: expect.stringContaining('TLSv1.3') });
      expect(v.client_cert_request).toMatchObject({ status: 'warn', detail: expect.stringContaining('only TLS 1.3') });
      expect(v.client_ca_names!.status).toBe('skip');
    } finally {
      await only13.close();
    }
  });
});

describe('the gateway’s answers', () => {
  const gw = useStarted('gw', async () => startGateway(pki, apps(), { tls: await server.serverCert(pki.dir, 'good', { chain: 'full' }) }), (g) => g.stop());
  const probe = (options: Record<string, unknown>) => probeUrl(url(gw.port), { ca: [server.root.certPem], ...options });

  it('fails the verification GET with a token the app does not hold', async () => {
    const v = await probe({ verifyToken: `${TOKEN}-wrong` });
    expect(v.verification_get).toMatchObject({ status: 'fail', detail: 'answered 403 verify_token_mismatch' });
    expect(upstream.received).toHaveLength(0);
  });

  it('fails the signed POST signed with another secret, and nothing reaches the app', async () => {
    const v = await probe({ client: pki.meta, secret: Buffer.from(`${SECRET}-wrong`) });
    expect(v.signed_post).toMatchObject({ status: 'fail', detail: 'answered 401 signature_mismatch', fix: expect.stringContaining('appSecret') });
    expect(upstream.received).toHaveLength(0);
  });

  it('fails the signed POST whose client certificate the gateway refuses (no intermediate sent)', async () => {
    const v = await probe({ client: { cert: pki.leaf.certPem, key: pki.leaf.keyPem }, secret: Buffer.from(SECRET) });
    expect(v.signed_post).toMatchObject({ status: 'fail', detail: expect.stringContaining('closed without an answer') });
    expect(v.signed_post!.fix).toContain('trustAnchors');
    expect(upstream.received).toHaveLength(0);
  });

  it('skips the checks whose options were not given, and says which option', async () => {
    const v = await probe({});
    expect(statuses(v)).toMatchObject({ verification_get: 'skip', signed_post: 'skip' });
    expect(v.verification_get!.detail).toContain('--verify-token');
    expect(v.signed_post!.detail).toContain('--client-cert');
  });
});
