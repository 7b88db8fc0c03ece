// The TLS side of the listener, built from a Config. Only the configured trust anchors are
// trusted: passing `ca` replaces Node's bundled Mozilla store for client verification.
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { constants } from 'node:crypto';
import type { Config } from '../config/load.js';

export function secureContextOptions(config: Config): SecureContextOptions {
  return {
    cert: config.tls.certPem,
    key: config.tls.keyPem,
    ca: config.clientAuth.trustAnchors.map((a) => a.pem),
    minVersion: 'TLSv1.2',
    honorCipherOrder: true,
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
