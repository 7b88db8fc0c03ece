// Stages 2 (chain) and 3 (identity) for one TLS connection, run on `secureConnection` before the
// HTTP parser sees a byte. OpenSSL has already verified signatures, validity dates, CA:TRUE and
// pathlen against the trust anchors (and nothing else: `ca` replaces the system store); this adds
// what OpenSSL leaves open: the depth limit, revocation (clientAuth.crls), a mandatory clientAuth
// EKU (OpenSSL accepts a leaf with no EKU at all), and the exact CN rule that Meta's own nginx
// recipe gets wrong.
//
// Everything comes from `getPeerX509Certificate()`: native X509Certificate handles whose fields are
// read only when asked. `getPeerCertificate(true)` built the whole legacy object graph (three
// fingerprints, every field as strings, for every certificate) on each handshake.
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { x509 } from './x509.js';
import { refuse, type Refusal } from '../refusal.js';
import { createRevocationCheck, type RevocationPolicy } from './revocation.js';

export interface PeerIdentity {
  /** Lower-case hex SHA-256 of the leaf DER, as sent in X-Hubgate-Client-Cert-Sha256. */
  readonly fingerprint: string;
  readonly commonName: string;
  readonly notAfter: Date;
}

export interface IdentityPolicy extends RevocationPolicy {
  readonly commonNames: readonly string[];
  readonly maxChainDepth: number;
  readonly trustAnchors: readonly { readonly pem: string }[];
}

const CN_OID = '2.5.4.3';
const CACHE_LIMIT = 1024;
/** Longer than any chain OpenSSL would verify for us; bounds the walk on hostile input. */
const MAX_WALK = 16;

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

/** The path OpenSSL verified, leaf first, ending at a self-issued trust anchor: at each step the
 *  issuer is looked for among the anchors first, then among the certificates the peer sent —
 *  OpenSSL's own order (X509_V_FLAG_TRUSTED_FIRST). null when no path reaches an anchor; a path
 *  longer than MAX_WALK is returned cut there (it is too deep anyway). */
export function verifiedPath(leaf: X509Certificate, anchors: readonly X509Certificate[]): X509Certificate[] | null {
  const sent: X509Certificate[] = [];
  for (let c = leaf.issuerCertificate; c && sent.length < MAX_WALK; c = c.issuerCertificate) sent.push(c);
  const path = [leaf];
  let anchored = false;
  for (let cur = leaf; path.length <= MAX_WALK; ) {
    if (cur.checkIssued(cur)) return anchored || anchors.some((a) => a.raw.equals(cur.raw)) ? path : null;
    let next = anchors.find((a) => cur.checkIssued(a));
    if (next) anchored = true;
    else if (anchored) return path; // an anchor that is not self-issued ends the path too
    else next = sent.find((s) => !path.includes(s) && cur.checkIssued(s));
    if (!next) return null;
    path.push(next);
    cur = next;
  }
  return path;
}

const RESUMED = 'resumed';
/** Node frees the peer's chain once the handshake is over, yet a request on a connection accepted
 *  before a reload is judged again by the new policy (gateway.ts, carriedOver): the path found at
 *  the handshake is kept with the socket. Module-wide because that request meets the new state's
 *  checker; a WeakMap, so it goes with the socket. */
const judgedPaths = new WeakMap<TLSSocket, readonly X509Certificate[] | typeof RESUMED | null>();

function pathOf(socket: TLSSocket, leaf: X509Certificate, anchors: readonly X509Certificate[]) {
  let path = judgedPaths.get(socket);
  if (path === undefined) {
    // A resumed session carries the leaf only, no chain. Its full handshake was judged under this
    // same policy: the session context (server-options.ts) changes with anchors, CRLs, CNs and
    // depth, and a refused handshake is closed before its session reaches the client.
    path = socket.isSessionReused() ? RESUMED : verifiedPath(leaf, anchors);
    judgedPaths.set(socket, path);
  }
  return path;
}

export function createIdentityChecker(policy: IdentityPolicy) {
  const cache = new Map<string, PeerIdentity | Refusal>();
  const anchors = policy.trustAnchors.map((a) => new X509Certificate(a.pem));
  const anchorFingerprints = new Set(anchors.map((a) => a.fingerprint256));
  const revocation = createRevocationCheck(policy);

  /** Stage 2 beyond OpenSSL: depth, the anchor still trusted, revocation. */
  function judgeChain(socket: TLSSocket, leaf: X509Certificate): Refusal | null {
    const path = pathOf(socket, leaf, anchors);
    if (path === RESUMED) return revocation?.leafOnly(leaf) ?? null;
    if (!path) return refuse('chain_untrusted', 'NO_PATH_TO_TRUST_ANCHOR');
    const depth = path.length - 1;
    if (depth > policy.maxChainDepth) return refuse('chain_too_deep', `depth ${depth} > ${policy.maxChainDepth}`);
    if (!anchorFingerprints.has(path[depth]!.fingerprint256)) return refuse('chain_untrusted', 'NO_PATH_TO_TRUST_ANCHOR');
    return revocation?.full(path) ?? null;
  }

/** null: no certificate presented (stage 3b decides). */
  return function check(socket: TLSSocket): PeerIdentity | Refusal | null {
    const leaf = socket.getPeerX509Certificate();
    if (!leaf) return null;
    if (!socket.authorized) {
      return refuse('chain_untrusted', String(socket.authorizationError ?? 'UNKNOWN'));
    }
    const chain = judgeChain(socket, leaf);
    if (chain) return chain;
    const fingerprint = leaf.fingerprint256.replace(/:/g, '').toLowerCase();
    let verdict = cache.get(fingerprint);
    if (verdict === undefined) {
      verdict = judgeLeaf(leaf.raw, fingerprint, policy);
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      cache.set(fingerprint, verdict);
    }
    return verdict;
  };
}
