// One test PKI per test file: root → intermediate → leaf, as Meta sends it, plus helpers to
// issue the broken certificates a refusal test needs.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  issue, createRoot, createIntermediate, bundle, EKU_SERVER_AUTH,
  type Issued, type IssueOptions, type KeyAlgorithm,
} from '../../src/tls/pki.js';
import { META_CN } from '../../src/tls/dev-pki.js';

export { META_CN, issue, bundle, type Issued };

export interface ClientCredentials {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  key: KeyAlgorithm;
  root: Issued;
  intermediate: Issued;
  leaf: Issued;
  rootFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** What the gateway's clients trust to verify the server. */
  serverCa: string;
  /** Meta's shape: leaf + intermediate. */
  meta: ClientCredentials;
  /** A leaf signed by the intermediate with these overrides. */
  leafWith(opts: Partial<IssueOptions>): Promise<Issued>;
  chain(leaf: Issued, ...issuers: Issued[]): ClientCredentials;
  cleanup(): void;
}

export async function createTestPki(key: KeyAlgorithm = 'ec'): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'hubgate-pki-'));
  const root = await createRoot('Test Root CA', key);
  const intermediate = await createIntermediate('Test Intermediate CA', root, key);
  const leaf = await issue({ subject: `CN=${META_CN}, O=Meta Platforms, Inc.`, issuer: intermediate, key });
  const serverRoot = await createRoot('Test Server Root', 'ec');
  const server = await issue({
    subject: 'CN=localhost', issuer: serverRoot, extKeyUsages: [EKU_SERVER_AUTH], dnsNames: ['localhost'],
  });
  const files = { rootFile: join(dir, 'root.pem'), serverCertFile: join(dir, 'server.crt'), serverKeyFile: join(dir, 'server.key') };
  writeFileSync(files.rootFile, root.certPem);
  writeFileSync(files.serverCertFile, server.certPem);
  writeFileSync(files.serverKeyFile, server.keyPem);
  const chain = (l: Issued, ...issuers: Issued[]) => ({ cert: bundle(l, ...issuers), key: l.keyPem });
  return {
    dir, key, root, intermediate, leaf, ...files,
    serverCa: serverRoot.certPem,
    meta: chain(leaf, intermediate),
    leafWith: (opts) => issue({ subject: `CN=${META_CN}`, issuer: intermediate, key, ...opts }),
    chain,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
