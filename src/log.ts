// The pino instance. Log lines carry reason codes and safe details only: never a body, a
// signature, a token or a secret. Redaction is a second net under that rule, not the rule.
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'headers["x-hub-signature-256"]',
  'headers["x-hub-signature"]',
  'headers.authorization',
  'query["hub.verify_token"]',
  'secret',
  'secrets',
  'appSecret',
  'verifyToken',
  'body',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  // Asynchronous, buffered stdout (sonic-boom): no synchronous write on the hot path, and one
  // write(2) per 4 KiB of lines instead of one per line (1 KB keep-alive, 6 interleaved A/B pairs: 7,936 → 9,146 req/s).
  // Lines wait at most 250 ms; shutdown flushes, and pino flushes synchronously on exit.
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => {
    try {
      stdout.flush();
    } catch {
      // not ready or already closing: the next tick or the exit flush writes it
    }
  }, 250).unref();
  return pino(options, stdout);
}
