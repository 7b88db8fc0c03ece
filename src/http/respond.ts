// Answers the gateway writes itself. A refusal names its reason code, never the input that
// caused it: no body, token, signature or secret is ever echoed.
import { reasonMessage, type Refusal } from '../refusal.js';
import type { Responder } from './exchange.js';

const BASE_HEADERS = ['content-type', 'text/plain; charset=utf-8', 'x-content-type-options', 'nosniff', 'cache-control', 'no-store'];
const ALLOW = ['allow', 'GET, POST'];

export function sendRefusal(res: Responder, refusal: Refusal, closeConnection = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = `${refusal.reason}: ${reasonMessage(refusal.reason)}\n`;
  let headers = [...BASE_HEADERS, 'content-length', String(Buffer.byteLength(body))];
  if (refusal.status === 405) headers = headers.concat(ALLOW);
  // The rest of an over-limit or unread body is not worth reading: close after answering.
  if (closeConnection) res.closeAfter();
  res.send(refusal.status, headers, body);
}

/** Meta's verification GET: 200, text/plain, body = hub.challenge exactly. */
export function sendChallenge(res: Responder, challenge: string): void {
  res.send(200, [...BASE_HEADERS, 'content-length', String(Buffer.byteLength(challenge))], challenge);
}

const DUPLICATE = [...BASE_HEADERS, 'x-hubgate-duplicate', '1', 'content-length', '0'];

/** A retried delivery whose first attempt the upstream already answered 2xx (SPEC §8). */
export function sendDuplicate(res: Responder): void {
  res.send(200, DUPLICATE, '');
}

const ACCEPTED = [...BASE_HEADERS, 'content-length', '0'];

/** SPEC §9: a delivery hubgate split across destinations that all took their events. There is
 *  no single upstream answer to relay, so the gateway answers Meta itself: 200, empty body. */
export function sendAccepted(res: Responder): void {
  res.send(200, ACCEPTED, '');
}
