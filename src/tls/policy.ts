// The TLS policy: protocol versions and cipher suites (SPEC §3 `tls.minVersion`, `tls.ciphers`).
// Default: TLS 1.2 and 1.3; TLS 1.2 limited to ECDHE with AES-GCM or ChaCha20-Poly1305 (Mozilla's
// "intermediate" server profile), so every suite has forward secrecy and authenticated encryption.
// A custom cipher string is checked against what OpenSSL really selects with it (cipher-probe.ts):
// one that leaves no suite the server can negotiate with its key refuses to load; one that enables
// CBC or static-RSA suites loads with a warning.
import { getCiphers } from 'node:tls';
import type { KeyObject } from 'node:crypto';
import { selectedSuiteIds, aliasSuites, suiteName } from './cipher-probe.js';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export const DEFAULT_TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
export const DEFAULT_TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface Suite {
  readonly name: string;
  readonly aead: boolean;
  readonly forwardSecrecy: boolean;
}

export interface TlsPolicy {
  readonly minVersion: TlsVersion;
  /** What Node's `ciphers` option gets: TLS 1.3 suite names, then the TLS 1.2 cipher string. */
  readonly ciphers: string;
  /** true when tls.ciphers was set. */
  readonly custom: boolean;
  readonly tls13: readonly string[];
  /** TLS 1.2 suites this server can negotiate with its key, in its order of preference; empty with TLSv1.3. */
  readonly tls12: readonly Suite[];
  readonly warnings: readonly string[];
}

/** A policy that cannot serve; the loader turns it into `file: tls.ciphers: message`. */
export class TlsPolicyError extends Error {}

function authAlias(key: KeyObject): string {
  return key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss' ? 'aRSA' : 'aECDSA';
}

function tls12Suites(cipherString: string, key: KeyObject): Suite[] {
  let ids: number[];
  try {
    ids = cipherString === '' ? [] : selectedSuiteIds(cipherString);
  } catch (err) {
    throw new TlsPolicyError(`selects no cipher suite (OpenSSL: ${(err as Error).message.replace(/^error:[0-9A-F]+:[^:]*::?/, '')})`);
  }
  if (ids.length === 0) {
    throw new TlsPolicyError('selects no TLS 1.2 suite while minVersion is TLSv1.2: add TLS 1.2 suites or set minVersion: TLSv1.3');
  }
  const auth = aliasSuites(authAlias(key));
  // Node configures no DH parameters, so a DHE suite can never be negotiated.
  const dhe = aliasSuites('kDHE');
  const usable = ids.filter((id) => auth.has(id) && !dhe.has(id));
  if (usable.length === 0) {
    const kind = authAlias(key) === 'aRSA' ? 'RSA' : 'ECDSA';
    throw new TlsPolicyError(
      `leaves no TLS 1.2 suite usable with the server's ${kind} key (it selects ${ids.map(suiteName).join(', ')})`,
    );
  }
  const aead = aliasSuites('AESGCM:AESCCM:CHACHA20:ARIAGCM');
  const ecdhe = aliasSuites('kECDHE');
  return usable.map((id) => ({ name: suiteName(id), aead: aead.has(id), forwardSecrecy: ecdhe.has(id) }));
}

export function resolveTlsPolicy(minVersion: TlsVersion, ciphers: string | undefined, serverKey: KeyObject): TlsPolicy {
  // Node routes the TLS_* names of one `ciphers` string to TLS 1.3 and the rest to TLS 1.2, and
  // turns TLS 1.3 off when there is none: a TLS 1.2-only string keeps the standard TLS 1.3 suites.
  const parts = (ciphers ?? `${DEFAULT_TLS13_SUITES.join(':')}:${DEFAULT_TLS12_CIPHERS}`).split(':').filter(Boolean);
  const named13 = parts.filter((p) => p.startsWith('TLS_'));
  const known13 = new Set(getCiphers().filter((c) => c.startsWith('tls_')));
  const unknown = named13.find((n) => !known13.has(n.toLowerCase()));
  if (unknown) throw new TlsPolicyError(`${unknown} is not a TLS 1.3 suite this OpenSSL knows (${[...known13].join(', ').toUpperCase()})`);
  const tls13 = named13.length > 0 ? named13 : DEFAULT_TLS13_SUITES;
  const cipherString = parts.filter((p) => !p.startsWith('TLS_')).join(':');
  const tls12 = minVersion === 'TLSv1.2' ? tls12Suites(cipherString, serverKey) : [];
  const warnings: string[] = [];
  const weak = tls12.filter((s) => !s.aead).map((s) => s.name);
  if (weak.length > 0) {
    warnings.push(`tls.ciphers enables TLS 1.2 suites without authenticated encryption (CBC: LUCKY13-class padding oracles; scanners grade them down): ${weak.join(', ')}`);
  }
  const noFs = tls12.filter((s) => !s.forwardSecrecy).map((s) => s.name);
  if (noFs.length > 0) {
    warnings.push(`tls.ciphers enables TLS 1.2 suites without forward secrecy (a stolen server key decrypts recorded traffic): ${noFs.join(', ')}`);
  }
  return {
    minVersion,
    ciphers: [...tls13, ...(cipherString ? [cipherString] : [])].join(':'),
    custom: ciphers !== undefined,
    tls13,
    tls12,
    warnings,
  };
}

/** The lines `hubgate check` prints. */
export function describeTlsPolicy(policy: TlsPolicy): string[] {
  const versions = policy.minVersion === 'TLSv1.3' ? 'TLSv1.3 only' : 'TLSv1.2 and TLSv1.3';
  const lines = [`TLS policy (${policy.custom ? 'tls.ciphers' : 'default: Mozilla intermediate'}): ${versions}, server cipher preference`];
  lines.push(`  TLSv1.3 suites: ${policy.tls13.join(', ')}`);
  if (policy.minVersion === 'TLSv1.2') {
    const tag = (s: Suite) => (s.aead && s.forwardSecrecy ? s.name : `${s.name} (${[!s.aead && 'no AEAD', !s.forwardSecrecy && 'no forward secrecy'].filter(Boolean).join(', ')})`);
    lines.push(`  TLSv1.2 suites usable with the server key: ${policy.tls12.map(tag).join(', ')}`);
  }
  return lines;
}
