// The one table of reason codes (SPEC.md §2). Logs, metrics and tests all use these
// names; a stage refuses by returning one of these, never by throwing.

export type Stage =
  | 'address'
  | 'chain'
  | 'identity'
  | 'certificate'
  | 'route'
  | 'method'
  | 'verify_token'
  | 'body'
  | 'signature'
  | 'forward'
  | 'dedupe';

interface ReasonInfo {
  readonly stage: Stage;
  /** HTTP status, or 0 when the refusal happens at the connection level (no HTTP answer). */
  readonly status: number;
  readonly message: string;
}

export const REASONS = {
  // 1 — address (connection closed before the TLS handshake)
  address_not_allowed: { stage: 'address', status: 0, message: 'source address is not in the allowlist' },
  allowlist_unavailable: { stage: 'address', status: 0, message: 'no allowlist loaded yet: failing closed' },
  proxy_untrusted: { stage: 'address', status: 0, message: 'PROXY protocol connection from an address outside trustedProxies' },
  proxy_header_invalid: { stage: 'address', status: 0, message: 'missing or malformed PROXY protocol header' },
  connection_limit: { stage: 'address', status: 0, message: 'too many open connections' },
  // 2 — chain (closed at the TLS layer)
  chain_untrusted: { stage: 'chain', status: 0, message: 'client certificate chain does not verify to a trust anchor' },
  chain_too_deep: { stage: 'chain', status: 0, message: 'client certificate chain is longer than clientAuth.maxChainDepth' },
  cert_revoked: { stage: 'chain', status: 0, message: 'client certificate or one of its intermediates is revoked (clientAuth.crls)' },
  leaf_not_client_auth: { stage: 'chain', status: 0, message: 'client certificate lacks the clientAuth extended key usage' },
  // 3 — identity (closed before any HTTP byte is read)
  cn_missing: { stage: 'identity', status: 0, message: 'client certificate subject has no CN' },
  cn_multiple: { stage: 'identity', status: 0, message: 'client certificate subject has more than one CN' },
  cn_mismatch: { stage: 'identity', status: 0, message: 'client certificate CN is not one of clientAuth.commonNames' },
  certificate_unparsable: { stage: 'identity', status: 0, message: 'client certificate could not be parsed' },
  // 3b — certificate required
  client_cert_required: { stage: 'certificate', status: 403, message: 'a client certificate is required' },
  no_certificate: { stage: 'certificate', status: 0, message: 'no client certificate (verificationWithoutCertificate is false)' },
  // 4 — route
  route_not_found: { stage: 'route', status: 404, message: 'no app matches this host and path' },
  path_not_canonical: { stage: 'route', status: 404, message: 'request path is not in canonical form' },
  // 5 — method
  method_not_allowed: { stage: 'method', status: 405, message: 'only GET and POST are accepted' },
  // 6 — verify token
  verify_token_mismatch: { stage: 'verify_token', status: 403, message: 'hub.verify_token does not match' },
  // 7 — body
  body_too_large: { stage: 'body', status: 413, message: 'request body exceeds limits.maxBodyBytes' },
  malformed_request: { stage: 'body', status: 400, message: 'malformed HTTP request' },
  request_timeout: { stage: 'body', status: 408, message: 'request not received within the time limit' },
  headers_too_large: { stage: 'body', status: 431, message: 'request headers exceed limits.maxHeaderBytes' },
  client_aborted: { stage: 'body', status: 0, message: 'client closed the connection before the body was complete' },
  // 8 — signature
  signature_missing: { stage: 'signature', status: 401, message: 'X-Hub-Signature-256 is missing' },
  signature_malformed: { stage: 'signature', status: 401, message: 'X-Hub-Signature-256 is not sha256= followed by 64 hex digits' },
  signature_mismatch: { stage: 'signature', status: 401, message: 'X-Hub-Signature-256 does not match the body' },
  // 9 — forward
  upstream_unreachable: { stage: 'forward', status: 502, message: 'upstream could not be reached' },
  upstream_timeout: { stage: 'forward', status: 504, message: 'upstream did not answer in time' },
  upstream_malformed: { stage: 'forward', status: 502, message: 'upstream answer is not well-formed HTTP/1.1' },
  // SPEC §9 — a delivery split across destinations: the status is the worst required failure
  destination_failed: { stage: 'forward', status: 502, message: 'a required destination did not take its events: retry later' },
  // SPEC §8 — an identical delivery was in flight and did not get a 2xx: same status class
  dedupe_twin_failed: { stage: 'dedupe', status: 502, message: 'an identical delivery in flight failed: retry later' },
  dedupe_wait_timeout: { stage: 'dedupe', status: 504, message: 'an identical delivery is still in flight: retry later' },
  // after all stages
  shutting_down: { stage: 'forward', status: 503, message: 'gateway is shutting down' },
} as const satisfies Record<string, ReasonInfo>;

export type Reason = keyof typeof REASONS;

export interface Refusal {
  readonly stage: Stage;
  readonly reason: Reason;
  readonly status: number;
  /** Safe, secret-free detail for the log line (e.g. OpenSSL's verify error code). */
  readonly detail?: string;
}

export function refuse(reason: Reason, detail?: string): Refusal {
  const info: ReasonInfo = REASONS[reason];
  return detail === undefined
    ? { stage: info.stage, reason, status: info.status }
    : { stage: info.stage, reason, status: info.status, detail };
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'reason' in value && 'stage' in value;
}

export function reasonMessage(reason: Reason): string {
  return REASONS[reason].message;
}
