// Stage 6: Meta's subscription check, `GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`.
// With a configured verifyToken the gateway answers it itself; without one the GET is forwarded.
import { timingSafeEqual, createHash } from 'node:crypto';
import { refuse, type Refusal } from '../refusal.js';
import { verificationParams } from './certificate.js';

export type VerifyOutcome = { challenge: string } | Refusal | null;

/** Constant-time in the token's content and length: both sides are hashed to 32 bytes first. */
export function tokenMatches(presented: string, expected: Buffer): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** null: not a verification request, or the app has no verifyToken → continue down the pipeline. */
export function verifyToken(method: string | undefined, url: string, expected: Buffer | undefined): VerifyOutcome {
  if (expected === undefined) return null;
  const params = verificationParams(method, url);
  if (params === null) return null;
  const token = params.get('hub.verify_token');
  if (token === null || !tokenMatches(token, expected)) return refuse('verify_token_mismatch');
  return { challenge: params.get('hub.challenge') ?? '' };
}
