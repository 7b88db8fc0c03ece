// How long an idle connection to the app may wait for its next request. The app closes idle
// sockets on its own clock; a request we write as it does so is lost in flight (the stale-
// socket race) and, for a POST, must not be sent again. So we let go first: with the app's
// `Keep-Alive: timeout=N` hint, well before N; without one, after a default well below what the
// servers that send none keep (gunicorn 2 s, uvicorn 5 s, Go and nginx longer; node sends the
// hint). Under load a connection is never idle that long, so the short default costs nothing
// there; between sparse deliveries it costs a loopback connect.
import type { ResponseHead } from '../http/codec/index.js';

/** Used when the app sends no hint. */
export const DEFAULT_IDLE_MS = 500;
/** The longest we keep an idle connection, whatever the hint says. */
export const MAX_IDLE_MS = 60_000;

const TIMEOUT = /(?:^|[\s,;])timeout\s*=\s*(\d{1,9})(?![\d.])/i;

/** Milliseconds an idle connection stays in the pool after this answer; 0: do not keep it. */
export function idleTime(head: ResponseHead, fallbackMs: number = DEFAULT_IDLE_MS): number {
  const hint = head.get('keep-alive');
  if (hint === undefined) return fallbackMs;
  const m = TIMEOUT.exec(hint);
  if (m === null) return fallbackMs;
  const ms = Number(m[1]) * 1000;
  // A margin of 2 s (undici's) for latency and a busy event loop on either side, but never
  // more than half the hint: `timeout=1` still allows reuse within 500 ms, `timeout=0` none.
  return Math.min(MAX_IDLE_MS, Math.max(ms - 2_000, ms / 2));
}
