// The TLS side of the listener, built from a Config. Only the configured trust anchors are
// trusted: passing `ca` replaces Node's bundled Mozilla store for client verification.
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { constants, createHash } from 'node:crypto';
import type { Config } from '../config/load.js';

/** What a client-certificate verdict depends on. OpenSSL resumes a session only under the session
 *  ID context it was made in (TLS 1.2 tickets and TLS 1.3 PSKs alike), so a reload that changes
 *  any of this sends every older session through a full handshake judged by the new policy,
 *  however the ticket keys are shared. Stale CRLs count: a CRL going past nextUpdate under
 *  `crlExpired: refuse` is a new trust decision too. */
export function sessionIdContext(config: Config, now = Date.now()): string {
  const c = config.clientAuth;
  const policy = {
    anchors: c.trustAnchors.map((a) => a.fingerprint256),
    crls: c.crls.map((l) => l.sha256),
    stale: c.crlExpired === 'refuse' ? c.crls.filter((l) => l.nextUpdate.getTime() < now).map((l) => l.sha256) : [],
    crlExpired: c.crlExpired,
    commonNames: c.commonNames,
    maxChainDepth: c.maxChainDepth,
    verificationWithoutCertificate: c.verificationWithoutCertificate,
  };
  // SSL_MAX_SID_CTX_LENGTH is 32 bytes.
  return createHash('sha256').update(JSON.stringify(policy)).digest('hex').slice(0, 32);
}

export function secureContextOptions(config: Config): SecureContextOptions & { sessionIdContext: string } {
  return {
    cert: config.tls.certPem,
    key: config.tls.keyPem,
    ca: config.clientAuth.trustAnchors.map((a) => a.pem),
    minVersion: config.tls.policy.minVersion,
    ciphers: config.tls.policy.ciphers,
    honorCipherOrder: true,
    sessionIdContext: sessionIdContext(config),
    // TLS 1.2 renegotiation: a client-initiated one costs the server a full handshake on an
    // already-admitted connection (CPU exhaustion), and the client certificate judged at
    // stages 2–3 would not be judged again. Meta never renegotiates; TLS 1.3 cannot.
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
}

export function serverTlsOptions(config: Config): TlsOptions {
  return {
    ...secureContextOptions(config),
    requestCert: true,
    // Verification failures are judged (and logged with OpenSSL's reason) in tls/identity.ts:
    // with rejectUnauthorized Node would drop the socket silently, and a certificate-less
    // verification GET (SPEC §2 stage 3b) must be able to complete the handshake.
    rejectUnauthorized: false,
    // We speak HTTP/1.1 only; a client offering just h2 is refused at ALPN, cleanly.
    ALPNProtocols: ['http/1.1'],
    handshakeTimeout: Math.min(config.limits.headersTimeoutMs, 10_000),
  };
}
