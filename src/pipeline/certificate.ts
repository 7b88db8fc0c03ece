// Stage 3b: a connection without a client certificate may carry only Meta's verification GET.
// Meta verifies the callback URL before mTLS can be switched on for a subscription, and may
// verify again without a certificate later (SPEC.md §2, "Why 3b").
import { refuse, type Refusal } from '../refusal.js';
import type { PeerIdentity } from '../tls/identity.js';

export function isVerificationRequest(method: string | undefined, url: string): boolean {
  if (method !== 'GET') return false;
  const q = url.indexOf('?');
  return q !== -1 && new URLSearchParams(url.slice(q + 1)).get('hub.mode') === 'subscribe';
}

export function requireCertificate(peer: PeerIdentity | null, method: string | undefined, url: string): Refusal | null {
  if (peer !== null || isVerificationRequest(method, url)) return null;
  return refuse('client_cert_required');
}
