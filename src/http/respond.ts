// Answers the gateway writes itself. A refusal names its reason code, never the input that
// caused it: no body, token, signature or secret is ever echoed.
import type { ServerResponse } from 'node:http';
import { reasonMessage, type Refusal } from '../refusal.js';

const BASE_HEADERS = {
  'content-type': 'text/plain; charset=utf-8',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export function sendRefusal(res: ServerResponse, refusal: Refusal, closeConnection = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = `${refusal.reason}: ${reasonMessage(refusal.reason)}\n`;
  const headers: Record<string, string | number> = { ...BASE_HEADERS, 'content-length': Buffer.byteLength(body) };
  if (refusal.status === 405) headers.allow = 'GET, POST';
  // The rest of an over-limit or unread body is not worth reading: close after answering.
  if (closeConnection) headers.connection = 'close';
  res.writeHead(refusal.status, headers);
  res.end(body);
}

/** Meta's verification GET: 200, text/plain, body = hub.challenge exactly. */
export function sendChallenge(res: ServerResponse, challenge: string): void {
  res.writeHead(200, { ...BASE_HEADERS, 'content-length': Buffer.byteLength(challenge) });
  res.end(challenge);
}

/** A retried delivery whose first attempt the upstream already answered 2xx (SPEC §8). */
export function sendDuplicate(res: ServerResponse): void {
  res.writeHead(200, { ...BASE_HEADERS, 'x-hubgate-duplicate': '1', 'content-length': 0 });
  res.end();
}
