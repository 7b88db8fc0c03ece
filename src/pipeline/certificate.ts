// Stage 3b: a connection without a client certificate may carry only Meta's verification GET.
// Meta verifies the callback URL before mTLS can be switched on for a subscription, and may
// verify again without a certificate later (SPEC.md §2, "Why 3b").
import { refuse, type Refusal } from '../refusal.js';
import type { PeerIdentity } from '../tls/identity.js';

/** The query of Meta's verification GET (`hub.mode=subscribe`), or null for any other request. */
export function verificationParams(method: string | undefined, url: string): URLSearchParams | null {
  if (method !== 'GET') return null;
  const q = url.indexOf('?');
  if (q === -1) return null;
  const params = new URLSearchParams(url.slice(q + 1));
  return params.get('hub.mode') === 'subscribe' ? params : null;
}

export function isVerificationRequest(method: string | undefined, url: string): boolean {
  return verificationParams(method, url) !== null;
}

export function requireCertificate(peer: PeerIdentity | null, method: string | undefined, url: string): Refusal | null {
  if (peer !== null || isVerificationRequest(method, url)) return null;
  return refuse('client_cert_required');
}
