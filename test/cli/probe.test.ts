// `hubgate probe` against real gateways with test PKIs: a healthy one passes every check and
// delivers one signed POST; the CA names it reads are the gateway's trust anchors, exactly as
// openssl s_client lists them; --meta-ca recognises a CA by its exact subject only.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startGateway, SECRET } from '../helpers/gateway.js';
import { useTestbed, useStarted, shopApp } from '../helpers/fixture.js';
import { createServerPki, probeUrl, statuses } from '../helpers/probe.js';
import { issue, createRoot } from '../../src/tls/pki.js';
import { x509 } from '../../src/tls/x509.js';
import { readServerHello } from '../../src/cli/probe-hello.js';
import { caSubjects } from '../../src/cli/probe-client-ca.js';
import { PROBE_BODY } from '../../src/cli/probe-http.js';

const ROOT = resolve(__dirname, '../..');
const DIGICERT = join(ROOT, 'certs/DigiCert_High_Assurance_EV_Root_CA.pem');
const TOKEN = 'probe-verify-token';

const { pki, upstream } = useTestbed();
const server = useStarted('server PKI', createServerPki, () => undefined);
const apps = () => [{ ...shopApp(upstream), verifyToken: { value: TOKEN } }];
const gw = useStarted('gw', async () => startGateway(pki, apps(), {
  tls: await server.serverCert(pki.dir, 'good', { chain: 'full' }),
  clientAuth: { trustAnchors: [pki.rootFile, DIGICERT] },
}), (g) => g.stop());

const url = (port: number) => `https://localhost:${port}/webhooks/shop`;
/** Everything an operator passes for a full run: the test server CA, Meta's client certificate, the secret. */
const full = () => ({ ca: [server.root.certPem], client: pki.meta, secret: Buffer.from(SECRET), verifyToken: TOKEN });

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(ROOT, 'bin/hubgate.js'), 'probe', ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('a healthy gateway', () => {
  it('passes every check and delivers exactly one signed POST to the app', async () => {
    const v = await probeUrl(url(gw.port), full());
    expect(statuses(v)).toEqual({
      dns: 'pass', tcp: 'pass', tls: 'pass', chain: 'pass', name: 'pass', expiry: 'pass',
      client_cert_request: 'pass', client_ca_names: 'pass', verification_get: 'pass',
      unsigned_post: 'pass', unsigned_post_with_certificate: 'pass', signed_post: 'pass',
    });
    expect(v.unsigned_post!.detail).toContain('403 client_cert_required');
    expect(v.unsigned_post_with_certificate!.detail).toContain('401 signature_missing');
    expect(v.client_ca_names!.detail).toContain('Meta’s own CA not checked');
    expect(upstream.received.map((r) => r.body.toString())).toEqual([PROBE_BODY]);
  });

  it('reads the CA names hubgate advertises (its trust anchors’ subjects) as openssl s_client lists them', async () => {
    const hello = await readServerHello('127.0.0.1', gw.port, 'localhost', 5_000);
    if (hello.kind !== 'tls12' || !hello.certificateRequest) throw new Error(`no CertificateRequest: ${JSON.stringify(hello)}`);
    const names = hello.certificateRequest.caNames;
    const anchors = [pki.root.certPem, readFileSync(DIGICERT, 'utf8')].flatMap(caSubjects);
    expect(names.map((n) => n.toString('hex')).sort()).toEqual(anchors.map((a) => a.der.toString('hex')).sort());
    // The oracle: OpenSSL's own client, RFC 2253 order (most specific attribute first).
    const out = await new Promise<string>((done) => {
      const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${gw.port}`, '-tls1_2', '-servername', 'localhost', '-nameopt', 'RFC2253'], { timeout: 10_000 }, (_e, stdout) => done(stdout));
      child.stdin!.end();
    });
    const listed = out.split('Acceptable client certificate CA names\n')[1]!.split('\nClient Certificate Types')[0]!.split('\n');
    const attrs = (dn: string) => dn.split(/,\s*/).sort().join(',');
    expect(names.map((n) => attrs(new x509.Name(new Uint8Array(n)).toString())).sort()).toEqual(listed.map(attrs).sort());
  });
});

describe('Meta’s CA in the advertised names', () => {
  it('is recognised with --meta-ca by its exact subject, and a look-alike with the same CN is not', async () => {
    const meta = await createRoot('Meta Outbound API CA (test)');
    const lookalike = await issue({ subject: 'CN=Meta Outbound API CA (test), O=Someone Else', ca: true });
    const metaFile = join(pki.dir, 'meta-ca.pem');
    writeFileSync(metaFile, meta.certPem);
    const withMeta = await startGateway(pki, apps(), { tls: await server.serverCert(pki.dir, 'meta', { chain: 'full' }), clientAuth: { trustAnchors: [pki.rootFile, metaFile] } });
    try {
      const found = await probeUrl(url(withMeta.port), { ca: [server.root.certPem], metaCa: caSubjects(meta.certPem) });
      expect(found.client_ca_names).toMatchObject({ status: 'pass', detail: expect.stringContaining('Meta Outbound API CA (test)') });
      const missed = await probeUrl(url(withMeta.port), { ca: [server.root.certPem], metaCa: caSubjects(lookalike.certPem) });
      expect(missed.client_ca_names).toMatchObject({ status: 'warn', detail: expect.stringContaining('is not among the 2 advertised') });
      expect(missed.client_ca_names!.fix).toContain('meta-outbound-api-ca-2025-12.pem');
    } finally {
      await withMeta.stop();
    }
  });

  it('warns when neither the DigiCert root nor a confirmed Meta CA is advertised, saying what it could not confirm', async () => {
    const onlyTestRoot = await startGateway(pki, apps(), { tls: await server.serverCert(pki.dir, 'plain', { chain: 'full' }) });
    try {
      const v = await probeUrl(url(onlyTestRoot.port), { ca: [server.root.certPem] });
      expect(v.client_ca_names).toMatchObject({ status: 'warn', detail: expect.stringContaining('no --meta-ca given') });
      expect(v.client_ca_names!.detail).toContain('CN=Test Root CA');
    } finally {
      await onlyTestRoot.stop();
    }
  });
});

describe('the command line', () => {
  it('prints one ✓ line per check and exits 0 when every required check passes', async () => {
    const files = { ca: join(pki.dir, 'server-root.pem'), cert: join(pki.dir, 'meta.crt'), key: join(pki.dir, 'meta.key') };
    writeFileSync(files.ca, server.root.certPem);
    writeFileSync(files.cert, pki.meta.cert);
    writeFileSync(files.key, pki.meta.key);
    const r = await run([url(gw.port), '--verify-token', TOKEN, '--ca', files.ca, '--client-cert', files.cert, '--client-key', files.key, '--secret-env', 'PROBE_SECRET'], { PROBE_SECRET: SECRET });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^[✓✗⚠–] /.test(l));
    expect(lines).toHaveLength(12);
    expect(lines.every((l) => l.startsWith('✓ '))).toBe(true);
    expect(r.stdout).not.toContain(TOKEN);
    expect(r.stdout).not.toContain(SECRET);
  });

  it('exits 1 and prints the fix under a ✗ line; --json says the same to a script', async () => {
    const text = await run([url(gw.port)]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/✗ server chain +unknown issuer/);
    expect(text.stdout).toMatch(/\n +fix: .*public CA/);
    const json = await run([url(gw.port), '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; checks: Array<{ id: string; status: string; fix?: string }> };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.id === 'chain')).toMatchObject({ status: 'fail', fix: expect.stringContaining('public CA') });
  });

  it('refuses a URL that is not https, and a client certificate without its key', async () => {
    const plain = await run(['http://localhost/webhooks/shop']);
    expect(plain).toMatchObject({ code: 1, stdout: '' });
    expect(plain.stderr).toContain('must start with https://');
    const half = await run([url(gw.port), '--client-cert', DIGICERT]);
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('--client-cert and --client-key go together');
  });
});
