import { createHash } from 'node:crypto';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * SHA-256 of the raw body, lowercase hex. The raw bytes, never re-serialized JSON: Meta's
 * retries are byte-identical, and X-Hub-Signature-256 covers exactly these bytes.
 */
export function bodySha256(body: Buffer | readonly Buffer[]): string {
  const hash = createHash('sha256');
  if (Buffer.isBuffer(body)) hash.update(body);
  else for (const chunk of body) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * The dedupe key: app name + body hash. The app name is part of it because two apps may
 * legitimately receive the same bytes (e.g. one Page subscribed by two apps). The hash is a
 * fixed 64 hex digits at the end, so `app:hash` is unambiguous whatever the app name holds.
 */
export function dedupeKey(app: string, body: string | Buffer | readonly Buffer[]): string {
  const hex = typeof body === 'string' ? body : bodySha256(body);
  if (!HEX64.test(hex)) throw new TypeError('dedupeKey: expected a lowercase hex SHA-256 (64 digits)');
  return `${app}:${hex}`;
}
