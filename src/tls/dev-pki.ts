// `hubgate dev-pki`: a throwaway PKI shaped like Meta's — root → intermediate → client leaf with
// CN client.webhooks.fbclientcerts.com and the clientAuth EKU (sent as leaf + intermediate, as
// Meta sends it) — plus a localhost server certificate. Never for production.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issue, createRoot, createIntermediate, bundle, EKU_SERVER_AUTH, type KeyAlgorithm } from './pki.js';

export const META_CN = 'client.webhooks.fbclientcerts.com';

export const DEV_PKI_FILES = {
  root: 'root.crt',
  intermediate: 'intermediate.crt',
  clientChain: 'client.crt',
  clientKey: 'client.key',
  serverCert: 'server.crt',
  serverKey: 'server.key',
} as const;

export async function createDevPki(outDir: string, key: KeyAlgorithm = 'ec'): Promise<Record<keyof typeof DEV_PKI_FILES, string>> {
  const root = await createRoot('hubgate dev root CA', key);
  const intermediate = await createIntermediate('hubgate dev intermediate CA', root, key);
  const client = await issue({ subject: `CN=${META_CN}, O=hubgate dev PKI`, issuer: intermediate, key });
  const server = await issue({
    subject: 'CN=localhost, O=hubgate dev PKI',
    issuer: intermediate,
    key,
    extKeyUsages: [EKU_SERVER_AUTH],
    dnsNames: ['localhost'],
  });
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const paths = Object.fromEntries(Object.entries(DEV_PKI_FILES).map(([k, f]) => [k, join(outDir, f)])) as Record<
    keyof typeof DEV_PKI_FILES,
    string
  >;
  writeFileSync(paths.root, root.certPem);
  writeFileSync(paths.intermediate, intermediate.certPem);
  writeFileSync(paths.clientChain, bundle(client, intermediate));
  writeFileSync(paths.clientKey, client.keyPem, { mode: 0o600 });
  // The server presents its intermediate too, so clients need only root.crt.
  writeFileSync(paths.serverCert, bundle(server, intermediate));
  writeFileSync(paths.serverKey, server.keyPem, { mode: 0o600 });
  return paths;
}
