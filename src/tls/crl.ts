// Loading `clientAuth.crls` (SPEC §3): PEM or DER files, one or more CRLs each. Every CRL must be
// signed by a configured trust anchor or by a `clientAuth.crlIssuers` certificate that chains to
// one; anything else (a forged list, the wrong file) is a config error naming file and key.
// Signatures are checked once here, so a handshake only looks serial numbers up in a Set.
import { createHash, verify as verifySignature, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { x509 } from './x509.js';
import { readTlv, children } from './der.js';
import { ConfigError } from '../config/errors.js';

export interface RevocationList {
  readonly file: string;
  /** Subject of the issuing CA, in node:crypto's format (what a handshake's certificates report). */
  readonly issuer: string;
  /** DER SubjectPublicKeyInfo of the issuing CA: a CRL applies only to certificates this key signed. */
  readonly issuerKey: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Normalized serial numbers (lower-case hex, no leading zeros). */
  readonly revoked: ReadonlySet<string>;
  /** issuingDistributionPoint scope: the list covers only end-entity or only CA certificates. */
  readonly scope: 'all' | 'leaves' | 'cas';
  /** SHA-256 of the DER: what a change of CRL is recognised by (reload, session context). */
  readonly sha256: string;
}

const PEM_CRL = /-----BEGIN X509 CRL-----([\s\S]+?)-----END X509 CRL-----/g;
const OID_DELTA_CRL = '2.5.29.27';
const OID_IDP = '2.5.29.28';

export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

function crlBlocks(bytes: Buffer): Buffer[] {
  const text = bytes.toString('latin1');
  const pem = [...text.matchAll(PEM_CRL)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  return pem.length > 0 ? pem : [bytes];
}

/** The bytes the signature covers, and the signature (RFC 5280 §5.1). */
function signedParts(der: Buffer): { tbs: Buffer; signature: Buffer } {
  const [tbs, , sig] = children(der, readTlv(der, 0));
  if (!tbs || !sig || sig.tag !== 0x03) throw new Error('not a CertificateList');
  return { tbs: der.subarray(tbs.headerStart, tbs.end), signature: der.subarray(sig.start + 1, sig.end) };
}

function signatureVerifies(crl: x509.X509Crl, der: Buffer, issuer: X509Certificate): boolean {
  const { tbs, signature } = signedParts(der);
  const alg = crl.signatureAlgorithm as { name: string; hash?: { name: string } };
  const hash = alg.hash ? alg.hash.name.replace('-', '').toLowerCase() : null;
  if (alg.name === 'RSA-PSS') return false; // not used by any CA hubgate is meant for
  try {
    return verifySignature(hash, tbs, { key: issuer.publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** issuingDistributionPoint: scoped lists are supported; partitioned or indirect ones are not. */
function idpScope(crl: x509.X509Crl, fail: (m: string) => never): RevocationList['scope'] {
  const ext = crl.getExtension(OID_IDP);
  if (!ext) return 'all';
  const value = new Uint8Array(ext.value);
  const tags = children(value, readTlv(value, 0)).map((t) => t.tag);
  if (tags.some((t) => t === 0x83 || t === 0x84 || t === 0x85 || t === 0xa3)) {
    fail('is a partitioned, indirect or attribute CRL (issuingDistributionPoint): list the CA’s full CRL');
  }
  return tags.includes(0x81) ? 'leaves' : tags.includes(0x82) ? 'cas' : 'all';
}

function parseOne(der: Buffer, issuers: readonly X509Certificate[], fail: (m: string) => never): Omit<RevocationList, 'file'> {
  let crl: x509.X509Crl;
  try {
    crl = new x509.X509Crl(new Uint8Array(der));
  } catch {
    return fail('is not a parsable CRL (PEM "X509 CRL" or DER)');
  }
  if (crl.getExtension(OID_DELTA_CRL)) fail('is a delta CRL: list the CA’s full CRL');
  if (!crl.nextUpdate) fail('has no nextUpdate: hubgate could not tell when it goes stale');
  const issuer = issuers.find((c) => signatureVerifies(crl, der, c));
  if (!issuer) {
    fail(`signature does not verify against any trust anchor or clientAuth.crlIssuers certificate (CRL issuer: ${crl.issuer})`);
  }
  return {
    issuer: issuer!.subject,
    issuerKey: issuer!.publicKey.export({ type: 'spki', format: 'der' }),
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate!,
    revoked: new Set(crl.entries.map((e) => normalizeSerial(e.serialNumber))),
    scope: idpScope(crl, fail),
    sha256: createHash('sha256').update(der).digest('hex'),
  };
}

/** CRL issuers: the anchors, then each crlIssuers certificate once it is signed by an accepted one. */
export function acceptedIssuers(anchors: readonly X509Certificate[], extra: readonly X509Certificate[], file: string): X509Certificate[] {
  const accepted = [...anchors];
  const pending = extra.map((cert, i) => ({ cert, i }));
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    for (let k = pending.length - 1; k >= 0; k--) {
      const { cert } = pending[k]!;
      if (cert.ca && accepted.some((a) => cert.checkIssued(a) && cert.verify(a.publicKey))) {
        accepted.push(cert);
        pending.splice(k, 1);
        progress = true;
      }
    }
  }
  const stray = pending[0];
  if (stray) {
    throw new ConfigError(file, `clientAuth.crlIssuers[${stray.i}]`, `${stray.cert.subject.replace(/\n/g, ', ')} is not a CA certificate signed by a trust anchor`);
  }
  return accepted;
}

export function loadCrls(paths: readonly string[], file: string, dir: string, issuers: readonly X509Certificate[]): RevocationList[] {
  return paths.flatMap((p, i) => {
    const abs = resolve(dir, p);
    const key = `clientAuth.crls[${i}]`;
    let bytes: Buffer;
    try {
      bytes = readFileSync(abs);
    } catch (err) {
      throw new ConfigError(file, key, `cannot read CRL ${abs} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return crlBlocks(bytes).map((der, n) => {
      const fail = (m: string): never => {
        throw new ConfigError(file, key, `${abs}${n > 0 ? ` (CRL #${n + 1})` : ''} ${m}`);
      };
      return { file: abs, ...parseOne(der, issuers, fail) };
    });
  });
}

/** Longest setTimeout Node honours (~24.8 days); a later nextUpdate is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `onStale` with the CRLs that just went past nextUpdate, at the earliest future one. Under
 *  `crlExpired: refuse` that is a trust decision: the listener rebuilds its secure context, whose
 *  session ID context then differs, so sessions made before are not resumed. */
export function atNextCrlExpiry(crls: readonly RevocationList[], onStale: (stale: RevocationList[]) => void, now = Date.now()): () => void {
  const next = Math.min(...crls.map((c) => c.nextUpdate.getTime()).filter((t) => t >= now));
  if (!Number.isFinite(next)) return () => {};
  const timer = setTimeout(() => {
    const at = Date.now();
    onStale(crls.filter((c) => c.nextUpdate.getTime() >= now && c.nextUpdate.getTime() < at));
  }, Math.min(next - now + 1, MAX_TIMER_MS));
  timer.unref();
  return () => clearTimeout(timer);
}
