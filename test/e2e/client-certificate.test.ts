// Stages 2, 3 and 3b over real TLS handshakes: every refused certificate is proven twice — the
// client gets no HTTP answer, and the upstream received nothing.
import { describe, it, expect } from 'vitest';
import { generate as selfSigned } from 'selfsigned';
import { createTestPki, issue, META_CN, type ClientCredentials } from '../helpers/pki.js';
import { createRoot, createIntermediate, EKU_SERVER_AUTH } from '../../src/tls/pki.js';
import { startGateway, SECRET, eventually } from '../helpers/gateway.js';
import { useGateway, useStarted, shopApp } from '../helpers/fixture.js';
import { post, send, type Outcome } from '../helpers/client.js';

const { pki, upstream, gw } = useGateway({ key: 'ec' });
const DAY = 86_400_000;

function deliver(client: ClientCredentials | undefined, harness = gw): Promise<Outcome> {
  return post({ port: harness.port, ca: pki.serverCa, path: '/webhooks/shop', client, secret: SECRET, body: '{"object":"whatsapp_business_account"}' });
}

async function expectRefusedAtTls(client: ClientCredentials | undefined, reason: string, harness = gw): Promise<void> {
  const before = harness.logs.length;
  const outcome = await deliver(client, harness);
  expect(outcome.kind).toBe('closed');
  expect(upstream.received).toHaveLength(0);
  const line = await eventually(() => harness.logs.slice(before).find((l) => l.msg === 'connection refused'));
  expect(line.reason).toBe(reason);
}

describe('a client certificate shaped like Meta’s', () => {
  it('is accepted with its intermediate and forwarded with its fingerprint', async () => {
    const outcome = await deliver(pki.meta);
    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    expect(upstream.received).toHaveLength(1);
    const fp = upstream.received[0]!.headers['x-hubgate-client-cert-sha256'];
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is refused without its intermediate (the chain cannot be built)', async () => {
    const before = gw.logs.length;
    await expectRefusedAtTls({ cert: pki.leaf.certPem, key: pki.leaf.keyPem }, 'chain_untrusted');
    const line = gw.logs.slice(before).find((l) => l.msg === 'connection refused')!;
    expect(line.detail).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });
});

describe('stage 2: the chain', () => {
  it('refuses a chain to an untrusted root', async () => {
    const otherRoot = await createRoot('Attacker Root');
    const otherInt = await createIntermediate('Attacker Intermediate', otherRoot);
    const leaf = await issue({ subject: `CN=${META_CN}`, issuer: otherInt });
    await expectRefusedAtTls(pki.chain(leaf, otherInt), 'chain_untrusted');
  });

  it('refuses a self-signed leaf with the right CN', async () => {
    const pems = await selfSigned([{ name: 'commonName', value: META_CN }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'extKeyUsage', clientAuth: true }],
    });
    await expectRefusedAtTls({ cert: pems.cert, key: pems.private }, 'chain_untrusted');
  });

  it('refuses an expired leaf', async () => {
    const leaf = await pki.leafWith({ notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    await expectRefusedAtTls(pki.chain(leaf, pki.intermediate), 'chain_untrusted');
  });

  it('refuses a leaf that is not yet valid', async () => {
    const leaf = await pki.leafWith({ notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 10 * DAY) });
    await expectRefusedAtTls(pki.chain(leaf, pki.intermediate), 'chain_untrusted');
  });

  it('refuses a leaf whose EKU is serverAuth only (OpenSSL: INVALID_PURPOSE)', async () => {
    const leaf = await pki.leafWith({ extKeyUsages: [EKU_SERVER_AUTH] });
    const before = gw.logs.length;
    const outcome = await deliver(pki.chain(leaf, pki.intermediate));
    expect(outcome.kind).toBe('closed');
    expect(upstream.received).toHaveLength(0);
    const line = await eventually(() => gw.logs.slice(before).find((l) => l.msg === 'connection refused'));
    expect(line.reason).toBe('chain_untrusted');
    expect(line.detail).toBe('INVALID_PURPOSE'); // OpenSSL's ssl_client purpose check
  });

  it('refuses a leaf with no EKU extension at all (OpenSSL alone would accept it)', async () => {
    const leaf = await pki.leafWith({ extKeyUsages: [] });
    await expectRefusedAtTls(pki.chain(leaf, pki.intermediate), 'leaf_not_client_auth');
  });

  it('refuses a leaf issued by a certificate that is not a CA', async () => {
    const notCa = await issue({ subject: 'CN=Not A CA', issuer: pki.intermediate, ca: false });
    const leaf = await issue({ subject: `CN=${META_CN}`, issuer: notCa });
    await expectRefusedAtTls(pki.chain(leaf, notCa, pki.intermediate), 'chain_untrusted');
  });

  it('refuses a chain that violates the intermediate’s pathlen', async () => {
    // pki.intermediate has pathlen 0: it may not issue another CA.
    const sub = await issue({ subject: 'CN=Sub CA', issuer: pki.intermediate, ca: true });
    const leaf = await issue({ subject: `CN=${META_CN}`, issuer: sub });
    await expectRefusedAtTls(pki.chain(leaf, sub, pki.intermediate), 'chain_untrusted');
  });

  it('refuses a chain deeper than clientAuth.maxChainDepth', async () => {
    const root = await createRoot('Deep Root', 'ec');
    const i1 = await createIntermediate('I1', root, 'ec', 3);
    const i2 = await createIntermediate('I2', i1, 'ec', 2);
    const i3 = await createIntermediate('I3', i2, 'ec', 1);
    const leaf = await issue({ subject: `CN=${META_CN}`, issuer: i3 });
    const { writeFileSync } = await import('node:fs');
    const anchor = `${pki.dir}/deep-root.pem`;
    writeFileSync(anchor, root.certPem);
    const deep = await startGateway(pki, [shopApp(upstream)], {
      clientAuth: { trustAnchors: [anchor], maxChainDepth: 3 },
    });
    try {
      // leaf → I3 → I2 → I1 → root: four issuers above the leaf.
      await expectRefusedAtTls(pki.chain(leaf, i3, i2, i1), 'chain_too_deep', deep);
      const shallow = await issue({ subject: `CN=${META_CN}`, issuer: i2 });
      expect(await deliver(pki.chain(shallow, i2, i1), deep)).toMatchObject({ kind: 'response', status: 200 });
    } finally {
      await deep.stop();
    }
  });
});

describe('stage 3: the identity (exactly one CN, byte-equal)', () => {
  const refusedCns: Array<[string, string]> = [
    ['a different CN', 'CN=graph.facebook.com'],
    ['the right name as a prefix', `CN=${META_CN}.evil.example`],
    ['the right name as a suffix', `CN=evil.${META_CN}`],
    ['the right name as a substring', `CN=x${META_CN}x`],
    ['the name with dots replaced (what an unanchored regex accepts)', 'CN=client-webhooks-fbclientcerts-com'],
    ['the name in upper case (no case folding)', `CN=${META_CN.toUpperCase()}`],
  ];
  for (const [what, subject] of refusedCns) {
    it(`refuses a CN that is ${what}`, async () => {
      const leaf = await pki.leafWith({ subject });
      await expectRefusedAtTls(pki.chain(leaf, pki.intermediate), 'cn_mismatch');
    });
  }

  it('refuses the right name in O only', async () => {
    const leaf = await pki.leafWith({ subject: `CN=attacker.example, O=${META_CN}` });
    await expectRefusedAtTls(pki.chain(leaf, pki.intermediate), 'cn_mismatch');
  });

  it('refuses "O=xCN=<name>", which Meta’s nginx regex accepts', async () => {
    const leaf = await pki.leafWith({ subject: [{ CN: ['attacker.example'] }, { O: [`xCN=${META_CN}`] }] });
    await expectRefusedAtTls(pki.chain(leaf, pki.intermediate), 'cn_mismatch');
  });

  it('refuses the right name in OU only, with no CN', async () => {
    const leaf = await pki.leafWith({ subject: `OU=${META_CN}, O=Attacker` });
    await expectRefusedAtTls(pki.chain(leaf, pki.intermediate), 'cn_missing');
  });

  it('refuses the right name in the SAN only (no SAN fallback)', async () => {
    const leaf = await pki.leafWith({ subject: 'CN=attacker.example', dnsNames: [META_CN] });
    await expectRefusedAtTls(pki.chain(leaf, pki.intermediate), 'cn_mismatch');
  });

  it('refuses a subject with two CNs, even when one is right', async () => {
    const leaf = await pki.leafWith({ subject: [{ CN: [META_CN] }, { CN: ['attacker.example'] }] });
    await expectRefusedAtTls(pki.chain(leaf, pki.intermediate), 'cn_multiple');
  });

  it('refuses two CNs in one multi-valued RDN', async () => {
    const leaf = await pki.leafWith({ subject: [{ CN: [META_CN, 'attacker.example'] }] });
    await expectRefusedAtTls(pki.chain(leaf, pki.intermediate), 'cn_multiple');
  });
});

describe('stage 3b: connections without a certificate', () => {
  it('answers a POST without a certificate 403 client_cert_required, never forwarded', async () => {
    const outcome = await deliver(undefined);
    expect(outcome).toMatchObject({ kind: 'response', status: 403 });
    expect((outcome as { body: string }).body).toContain('client_cert_required');
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses a plain GET without a certificate', async () => {
    const outcome = await send({ port: gw.port, ca: pki.serverCa, method: 'GET', path: '/webhooks/shop' });
    expect(outcome).toMatchObject({ kind: 'response', status: 403 });
    expect(upstream.received).toHaveLength(0);
  });

  it('forwards Meta’s verification GET without a certificate when the app has no verifyToken', async () => {
    const outcome = await send({
      port: gw.port, ca: pki.serverCa, method: 'GET',
      path: '/webhooks/shop?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock',
    });
    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]!.headers['x-hubgate-client-cert-sha256']).toBeUndefined();
  });

  it('closes every certificate-less connection when verificationWithoutCertificate is false', async () => {
    const strict = await startGateway(pki, [shopApp(upstream)], {
      clientAuth: { verificationWithoutCertificate: false },
    });
    try {
      const before = strict.logs.length;
      const outcome = await send({
        port: strict.port, ca: pki.serverCa, method: 'GET',
        path: '/webhooks/shop?hub.mode=subscribe&hub.challenge=1&hub.verify_token=t',
      });
      expect(outcome.kind).toBe('closed');
      expect(upstream.received).toHaveLength(0);
      const line = await eventually(() => strict.logs.slice(before).find((l) => l.msg === 'connection refused'));
      expect(line.reason).toBe('no_certificate');
      expect(await deliver(pki.meta, strict)).toMatchObject({ kind: 'response', status: 200 });
    } finally {
      await strict.stop();
    }
  });
});

describe('an RSA-2048 chain shaped like Meta’s (leaf + intermediate sent, root trusted)', () => {
  const rsa = useStarted('rsa', () => createTestPki('rsa'), (p) => p.cleanup());
  const rsaGw = useStarted('rsaGw', () => startGateway(rsa, [shopApp(upstream)]), (g) => g.stop());

  it('is accepted and forwarded', async () => {
    const outcome = await post({ port: rsaGw.port, ca: rsa.serverCa, path: '/webhooks/shop', client: rsa.meta, secret: SECRET, body: '{}' });
    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    expect(upstream.received).toHaveLength(1);
  });

  it('is refused without its intermediate', async () => {
    const outcome = await post({
      port: rsaGw.port, ca: rsa.serverCa, path: '/webhooks/shop', secret: SECRET, body: '{}',
      client: { cert: rsa.leaf.certPem, key: rsa.leaf.keyPem },
    });
    expect(outcome.kind).toBe('closed');
    expect(upstream.received).toHaveLength(0);
  });
});
