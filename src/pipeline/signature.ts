// Stage 8: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(raw body, app secret).
// Meta escapes non-ASCII as \uXXXX and `/` as `\/`: the HMAC is over the raw bytes as received,
// never over re-serialized JSON. The HMAC is fed while the body arrives (see body.ts).
import { createHmac, timingSafeEqual, type Hmac } from 'node:crypto';
import { refuse, type Refusal } from '../refusal.js';

const HEADER = /^sha256=([0-9a-fA-F]{64})$/;

/** One running HMAC per accepted secret (current first, then previousAppSecrets). */
export function startHmacs(secrets: readonly Buffer[]): Hmac[] {
  return secrets.map((s) => createHmac('sha256', s));
}

export function parseSignatureHeader(header: string | string[] | undefined): Buffer | Refusal {
  if (header === undefined) return refuse('signature_missing');
  // Several X-Hub-Signature-256 headers arrive as an array or joined: either way malformed.
  const m = typeof header === 'string' ? HEADER.exec(header) : null;
  return m ? Buffer.from(m[1]!, 'hex') : refuse('signature_malformed');
}

/** Compares against every secret without short-circuiting, each comparison constant-time. */
export function checkSignature(header: string | string[] | undefined, digests: readonly Buffer[]): Refusal | null {
  const presented = parseSignatureHeader(header);
  if (!Buffer.isBuffer(presented)) return presented;
  let ok = false;
  for (const d of digests) ok = timingSafeEqual(presented, d) || ok;
  return ok ? null : refuse('signature_mismatch');
}

/** Pure form for callers holding the whole body: `(rawBody, header, secrets) → ok | Refusal`. */
export function verifySignature(rawBody: Buffer, header: string | string[] | undefined, secrets: readonly Buffer[]): Refusal | null {
  return checkSignature(header, secrets.map((s) => createHmac('sha256', s).update(rawBody).digest()));
}
