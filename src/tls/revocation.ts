// Stage 2, revocation: the leaf and every intermediate of the verified path are looked up in the
// CRL of the CA that issued them (clientAuth.crls). Semantics per chain, as Envoy's: a chain none
// of whose CAs has a CRL is not checked; once one has, all must (a missing list fails closed, like
// OpenSSL's X509_V_ERR_UNABLE_TO_GET_CRL). Detail strings use OpenSSL's verify codes, so a
// revocation reads in the log like every other chain refusal.
import type { X509Certificate } from 'node:crypto';
import { refuse, type Refusal } from '../refusal.js';
import { normalizeSerial, type RevocationList } from './crl.js';

export interface RevocationPolicy {
  readonly crls: readonly RevocationList[];
  readonly crlExpired: 'refuse' | 'warn';
}

export type RevocationCheck = (path: readonly X509Certificate[], now?: number) => Refusal | null;

export function createRevocationCheck(policy: RevocationPolicy): { full: RevocationCheck; leafOnly: (leaf: X509Certificate) => Refusal | null } | null {
  if (policy.crls.length === 0) return null;
  const bySubject = new Map<string, RevocationList[]>();
  for (const crl of policy.crls) bySubject.set(crl.issuer, [...(bySubject.get(crl.issuer) ?? []), crl]);

  const listsFor = (cert: X509Certificate, issuer: X509Certificate): RevocationList[] => {
    const named = bySubject.get(issuer.subject);
    if (!named) return [];
    const key = issuer.publicKey.export({ type: 'spki', format: 'der' });
    const scope = cert.ca ? 'cas' : 'leaves';
    return named.filter((l) => l.issuerKey.equals(key) && (l.scope === 'all' || l.scope === scope));
  };
  const revokedBy = (cert: X509Certificate, lists: readonly RevocationList[]) => {
    const serial = normalizeSerial(cert.serialNumber);
    return lists.find((l) => l.revoked.has(serial));
  };

  /** `path`: leaf first, ending at the trust anchor. */
  const full: RevocationCheck = (path, now = Date.now()) => {
    const lists = path.slice(0, -1).map((cert, i) => listsFor(cert, path[i + 1]!));
    for (let i = 0; i < lists.length; i++) {
      if (revokedBy(path[i]!, lists[i]!)) return refuse('cert_revoked', `CERT_REVOKED at depth ${i} (serial ${normalizeSerial(path[i]!.serialNumber)})`);
    }
    if (lists.every((l) => l.length === 0)) return null;
    const missing = lists.findIndex((l) => l.length === 0);
    if (missing >= 0) return refuse('chain_untrusted', `UNABLE_TO_GET_CRL at depth ${missing}`);
    if (policy.crlExpired === 'refuse') {
      const stale = lists.findIndex((l) => l.every((crl) => crl.nextUpdate.getTime() < now));
      if (stale >= 0) return refuse('chain_untrusted', `CRL_HAS_EXPIRED at depth ${stale}`);
    }
    return null;
  };

  /** A resumed session carries only the leaf: its issuer is known by name alone. The full path was
   *  judged when the session was made, under the same policy (the session context says so). */
  const leafOnly = (leaf: X509Certificate): Refusal | null => {
    const lists = (bySubject.get(leaf.issuer) ?? []).filter((l) => l.scope !== 'cas');
    return revokedBy(leaf, lists) ? refuse('cert_revoked', `CERT_REVOKED at depth 0 (serial ${normalizeSerial(leaf.serialNumber)})`) : null;
  };
  return { full, leafOnly };
}
