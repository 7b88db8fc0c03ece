// The TLS parts of gateway.yaml, read for load.ts: the policy (tls.minVersion, tls.ciphers), the
// session-ticket key file, and revocation (clientAuth.crls, crlIssuers) with its warnings.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { GatewayFile } from './schema.js';
import type { TrustAnchor } from './types.js';
import { ConfigError } from './errors.js';
import { readFileOrFail, parseCertificates } from './pem.js';
import { resolveTlsPolicy, TlsPolicyError, type TlsPolicy } from '../tls/policy.js';
import { parseTicketKeyFile } from '../tls/ticket-keys.js';
import { loadCrls, acceptedIssuers, type RevocationList } from '../tls/crl.js';

export function tlsPolicy(g: GatewayFile, key: KeyObject, file: string): TlsPolicy {
  try {
    return resolveTlsPolicy(g.tls.minVersion, g.tls.ciphers, key);
  } catch (err) {
    if (err instanceof TlsPolicyError) throw new ConfigError(file, 'tls.ciphers', err.message);
    throw err;
  }
}

export function ticketKeys(path: string | undefined, file: string): Buffer[] | undefined {
  if (path === undefined) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ConfigError(file, 'tls.ticketKeyFile', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parseTicketKeyFile(bytes);
  } catch (err) {
    // The message never quotes the file: it holds secrets.
    throw new ConfigError(file, 'tls.ticketKeyFile', `${path} ${(err as Error).message}`);
  }
}

export function revocation(g: GatewayFile, anchors: readonly TrustAnchor[], file: string, dir: string) {
  const crlIssuers = g.clientAuth.crlIssuers.flatMap((p, i) =>
    parseCertificates(readFileOrFail(resolve(dir, p), file, `clientAuth.crlIssuers[${i}]`, 'CRL issuer'), file, `clientAuth.crlIssuers[${i}]`),
  );
  const issuers = acceptedIssuers(
    anchors.map((a) => new X509Certificate(a.pem)),
    crlIssuers.map((c) => new X509Certificate(c.pem)),
    file,
  );
  return { crlIssuers, crls: loadCrls(g.clientAuth.crls, file, dir, issuers) };
}

export function crlWarnings(crls: readonly RevocationList[], anchors: readonly TrustAnchor[], policy: 'refuse' | 'warn', now: number): string[] {
  if (crls.length === 0) return [];
  const out = crls
    .filter((c) => c.nextUpdate.getTime() < now)
    .map((c) => `CRL ${c.file} (issuer ${c.issuer.replace(/\n/g, ', ')}) passed its nextUpdate on ${c.nextUpdate.toISOString()}: ` +
      (policy === 'refuse' ? 'chains it covers are refused until a fresh one is loaded (clientAuth.crlExpired: refuse)' : 'still applied, but revocations since then are unknown (clientAuth.crlExpired: warn)'));
  for (const a of anchors) {
    if (!crls.some((c) => c.issuer === new X509Certificate(a.pem).subject)) {
      out.push(`trust anchor ${a.subject} issued none of the clientAuth.crls: chains to it are not checked for revocation, or refused (UNABLE_TO_GET_CRL) when their intermediate has a CRL`);
    }
  }
  return out;
}

