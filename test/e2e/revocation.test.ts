// clientAuth.crls over real handshakes: a revoked leaf or intermediate is refused at stage 2
// (cert_revoked, OpenSSL's code in the log) and nothing reaches the upstream; CRLs of other CAs
// do not apply; an expired CRL follows clientAuth.crlExpired; a reload picks up a new CRL; a CRL
// that no configured CA signed refuses to load.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issue, META_CN, type ClientCredentials, type Issued } from '../helpers/pki.js';
import { useTestbed, shopApp } from '../helpers/fixture.js';
import { createRoot, createIntermediate, createCrl, crlPem } from '../../src/tls/pki.js';
import { writeConfigFolder, withGateway as withGatewayOf, SECRET, eventually, type Harness } from '../helpers/gateway.js';
import { post, type Outcome } from '../helpers/client.js';
import { loadConfig } from '../../src/config/load.js';
import { reloadFromFile } from '../../src/server/reload.js';
import { summarize } from '../../src/cli/check.js';

const DAY = 86_400_000;
const { pki, upstream } = useTestbed();
const apps = () => [shopApp(upstream)];
let n = 0;

/** Writes a file into the PKI folder; returns its path. */
function file(content: string | Buffer, ext = 'crl'): string {
  const path = join(pki.dir, `f${n++}.${ext}`);
  writeFileSync(path, content);
  return path;
}

/** Root CRL (PEM) + intermediate CRL (DER), the intermediate's certificate as its issuer. */
async function crlConfig(opts: { rootRevokes?: Issued[]; intRevokes?: Issued[]; intNextUpdate?: Date; crlExpired?: string } = {}) {
  const rootCrl = crlPem(await createCrl(pki.root, { revoked: opts.rootRevokes }));
  const intCrl = await createCrl(pki.intermediate, {
    revoked: opts.intRevokes,
    ...(opts.intNextUpdate ? { thisUpdate: new Date(opts.intNextUpdate.getTime() - 7 * DAY), nextUpdate: opts.intNextUpdate } : {}),
  });
  return {
    clientAuth: {
      crls: [file(rootCrl), file(intCrl)],
      crlIssuers: [file(pki.intermediate.certPem, 'pem')],
      ...(opts.crlExpired ? { crlExpired: opts.crlExpired } : {}),
    },
  };
}

function deliver(gw: Harness, client: ClientCredentials): Promise<Outcome> {
  return post({ port: gw.port, ca: pki.serverCa, path: '/webhooks/shop', client, secret: SECRET, body: '{"object":"page"}' });
}

async function expectRefused(gw: Harness, client: ClientCredentials, reason: string, detail: RegExp): Promise<void> {
  const before = gw.logs.length;
  const outcome = await deliver(gw, client);
  expect(outcome.kind).toBe('closed');
  expect(upstream.received).toHaveLength(0);
  const line = await eventually(() => gw.logs.slice(before).find((l) => l.msg === 'connection refused'));
  expect(line).toMatchObject({ stage: 'chain', reason });
  expect(line.detail).toMatch(detail);
}

async function expectServed(gw: Harness, client: ClientCredentials): Promise<void> {
  expect(await deliver(gw, client)).toMatchObject({ kind: 'response', status: 200 });
  expect(upstream.received).toHaveLength(1);
  upstream.received.length = 0;
}

const withGateway = (overrides: Record<string, unknown>, run: (gw: Harness) => Promise<void>) => withGatewayOf(pki, apps(), overrides, run);

describe('clientAuth.crls', () => {
  it('refuses a revoked leaf as cert_revoked with OpenSSL’s code, and serves the others', async () => {
    const revoked = await pki.leafWith({});
    await withGateway(await crlConfig({ intRevokes: [revoked] }), async (gw) => {
      const text = summarize(gw.config);
      expect(text).toContain('revocation (clientAuth.crls): 2 CRLs, expired CRL → refuse');
      expect(text).toMatch(/CN=Test Intermediate CA, O=hubgate test PKI: 1 revoked, next update \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 6 days\)/);
      await expectRefused(gw, pki.chain(revoked, pki.intermediate), 'cert_revoked', /^CERT_REVOKED at depth 0 \(serial [0-9a-f]+\)$/);
      await expectServed(gw, pki.meta);
    });
  });

  it('refuses a leaf under a revoked intermediate (depth 1)', async () => {
    const other = await createIntermediate('Revoked Intermediate CA', pki.root);
    const leaf = await issue({ subject: `CN=${META_CN}`, issuer: other });
    const config = await crlConfig({ rootRevokes: [other] });
    const otherCrl = file(await createCrl(other));
    (config.clientAuth.crls as string[]).push(otherCrl);
    (config.clientAuth.crlIssuers as string[]).push(file(other.certPem, 'pem'));
    await withGateway(config, async (gw) => {
      await expectRefused(gw, pki.chain(leaf, other), 'cert_revoked', /^CERT_REVOKED at depth 1 /);
      await expectServed(gw, pki.meta);
    });
  });

  it('does not apply another CA’s CRL, even to the same serial number', async () => {
    const otherRoot = await createRoot('Other Root');
    const otherInt = await createIntermediate('Other Intermediate', otherRoot);
    const serialNumber = '01' + 'ab'.repeat(15);
    const ours = await pki.leafWith({ serialNumber });
    const theirs = await issue({ subject: `CN=${META_CN}`, issuer: otherInt, serialNumber });
    await withGateway(
      {
        clientAuth: {
          trustAnchors: [pki.rootFile, file(otherRoot.certPem, 'pem')],
          crls: [file(await createCrl(otherRoot)), file(await createCrl(otherInt, { revoked: [serialNumber] }))],
          crlIssuers: [file(otherInt.certPem, 'pem')],
        },
      },
      async (gw) => {
        await expectServed(gw, pki.chain(ours, pki.intermediate)); // no CRL covers its CAs
        await expectRefused(gw, pki.chain(theirs, otherInt), 'cert_revoked', /^CERT_REVOKED at depth 0 /);
      },
    );
  });

  it('refuses a chain whose intermediate has no CRL once its root has one (UNABLE_TO_GET_CRL)', async () => {
    await withGateway({ clientAuth: { crls: [file(await createCrl(pki.root))] } }, async (gw) => {
      await expectRefused(gw, pki.meta, 'chain_untrusted', /^UNABLE_TO_GET_CRL at depth 0$/);
    });
  });

  it('with crlExpired: refuse (the default), refuses every chain an expired CRL covers', async () => {
    const overrides = await crlConfig({ intNextUpdate: new Date(Date.now() - DAY) });
    await withGateway(overrides, async (gw) => {
      expect(gw.config.clientAuth.crlExpired).toBe('refuse');
      expect(gw.config.warnings.join('\n')).toMatch(/passed its nextUpdate .* chains it covers are refused/);
      await expectRefused(gw, pki.meta, 'chain_untrusted', /^CRL_HAS_EXPIRED at depth 0$/);
    });
  });

  it('with crlExpired: warn, keeps applying an expired CRL, serves the rest and warns', async () => {
    const revoked = await pki.leafWith({});
    const overrides = await crlConfig({ intRevokes: [revoked], intNextUpdate: new Date(Date.now() - DAY), crlExpired: 'warn' });
    await withGateway(overrides, async (gw) => {
      expect(gw.config.warnings.join('\n')).toMatch(/passed its nextUpdate .* still applied/);
      await expectServed(gw, pki.meta);
      await expectRefused(gw, pki.chain(revoked, pki.intermediate), 'cert_revoked', /^CERT_REVOKED/);
    });
  });

  it('picks up a replaced CRL on reload: a newly revoked certificate is refused without a restart', async () => {
    const overrides = await crlConfig();
    await withGateway(overrides, async (gw) => {
      await expectServed(gw, pki.meta);
      writeFileSync(overrides.clientAuth.crls[1]!, await createCrl(pki.intermediate, { revoked: [pki.leaf] }));
      const summary = reloadFromFile(gw.gateway, gw.gateway.log, {});
      expect(summary?.changed).toContain('clientAuth');
      await expectRefused(gw, pki.meta, 'cert_revoked', /^CERT_REVOKED at depth 0 /);
    });
  });

  it('exports the nextUpdate of each issuer’s CRL', async () => {
    const nextUpdate = new Date(Math.floor(Date.now() / 1000) * 1000 + 3 * DAY);
    const overrides = await crlConfig({ intNextUpdate: nextUpdate });
    await withGateway(overrides, async (gw) => {
      const metric = await gw.gateway.metrics.crlNextUpdate.get();
      const series = metric.values.find((v) => String(v.labels.issuer).includes('Test Intermediate CA'));
      expect(series?.value).toBe(nextUpdate.getTime() / 1000);
      expect(metric.values).toHaveLength(2);
    });
  });

  it('refuses to load a CRL that no trust anchor or crlIssuers certificate signed (a forgery)', async () => {
    // Same issuer name as the real intermediate, signed with another key.
    const forger = await createIntermediate('Test Intermediate CA', await createRoot('Forger Root'));
    const overrides = await crlConfig();
    const forged = file(await createCrl(forger, { revoked: [pki.leaf] }));
    const gwFile = configFile({ clientAuth: { ...overrides.clientAuth, crls: [overrides.clientAuth.crls[0], forged] } });
    expect(() => loadConfig(gwFile, {})).toThrow(/gateway\.yaml: clientAuth\.crls\[1\]: .*f\d+\.crl signature does not verify against any trust anchor or clientAuth\.crlIssuers certificate/);
  });

  it('refuses to load a crlIssuers certificate that does not chain to a trust anchor', async () => {
    const stranger = await createIntermediate('Stranger CA', await createRoot('Stranger Root'));
    const gwFile = configFile({ clientAuth: { crls: [], crlIssuers: [file(stranger.certPem, 'pem')] } });
    expect(() => loadConfig(gwFile, {})).toThrow(/clientAuth\.crlIssuers\[0\]: CN=Stranger CA.* is not a CA certificate signed by a trust anchor/);
  });
});

/** A gateway.yaml in its own folder, for load-time errors. */
function configFile(overrides: Record<string, unknown>): string {
  return writeConfigFolder(join(pki.dir, `cfg${n++}`), pki, overrides, apps());
}
