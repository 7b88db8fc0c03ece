// Stages 2 (chain) and 3 (identity) for one TLS connection, run on `secureConnection` before the
// HTTP parser sees a byte. OpenSSL has already verified signatures, validity dates, CA:TRUE and
// pathlen against the trust anchors (and nothing else: `ca` replaces the system store); this adds
// what OpenSSL leaves open: the depth limit, a mandatory clientAuth EKU (OpenSSL accepts a leaf
// with no EKU at all), and the exact CN rule that Meta's own nginx recipe gets wrong.
import type { TLSSocket, DetailedPeerCertificate } from 'node:tls';
import { x509 } from './x509.js';
import { refuse, type Refusal } from '../refusal.js';

export interface PeerIdentity {
  /** Lower-case hex SHA-256 of the leaf DER, as sent in X-Hubgate-Client-Cert-Sha256. */
  readonly fingerprint: string;
  readonly commonName: string;
  readonly notAfter: Date;
}

export interface IdentityPolicy {
  readonly commonNames: readonly string[];
  readonly maxChainDepth: number;
}

const CN_OID = '2.5.4.3';
const CACHE_LIMIT = 1024;

/** Leaf-only verdicts depend on the DER and the policy alone, so they are cached per fingerprint:
 *  Meta presents the same certificate on every connection. */
function judgeLeaf(raw: Buffer, fingerprint: string, policy: IdentityPolicy): PeerIdentity | Refusal {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(new Uint8Array(raw));
  } catch {
    return refuse('certificate_unparsable');
  }
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  if (!eku || !eku.usages.includes(x509.ExtendedKeyUsage.clientAuth)) return refuse('leaf_not_client_auth');
  // Every CN attribute of every RDN, decoded from the DER: a CN hidden in O or OU, a second CN,
  // or a look-alike never matches, unlike a regex over the one-line subject string.
  const cns = cert.subjectName.getField(CN_OID);
  if (cns.length === 0) return refuse('cn_missing');
  if (cns.length > 1) return refuse('cn_multiple', `${cns.length} CN attributes`);
  const cn = cns[0]!;
  if (!policy.commonNames.includes(cn)) return refuse('cn_mismatch', `CN=${JSON.stringify(cn.slice(0, 200))}`);
  return { fingerprint, commonName: cn, notAfter: cert.notAfter };
}

/** Issuers above the leaf in the verified path (Meta: intermediate + root = 2). */
function chainDepth(leaf: DetailedPeerCertificate): number {
  let depth = 0;
  let cert = leaf;
  while (cert.issuerCertificate && cert.issuerCertificate !== cert && depth <= 16) {
    cert = cert.issuerCertificate;
    depth += 1;
  }
  return depth;
}

export function createIdentityChecker(policy: IdentityPolicy) {
  const cache = new Map<string, PeerIdentity | Refusal>();
  /** null: no certificate presented (stage 3b decides). */
  return function check(socket: TLSSocket): PeerIdentity | Refusal | null {
    const peer = socket.getPeerCertificate(true);
    if (!peer || !peer.raw) return null;
    if (!socket.authorized) {
      return refuse('chain_untrusted', String(socket.authorizationError ?? 'UNKNOWN'));
    }
    const depth = chainDepth(peer);
    if (depth > policy.maxChainDepth) return refuse('chain_too_deep', `depth ${depth} > ${policy.maxChainDepth}`);
    const fingerprint = peer.fingerprint256.replace(/:/g, '').toLowerCase();
    let verdict = cache.get(fingerprint);
    if (verdict === undefined) {
      verdict = judgeLeaf(peer.raw, fingerprint, policy);
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      cache.set(fingerprint, verdict);
    }
    return verdict;
  };
}
