// The pino instance. Log lines carry reason codes and safe details only: never a body, a
// signature, a token or a secret. Redaction is a second net under that rule, not the rule.
import pino, { type Logger, type DestinationStream } from 'pino';
import { LogSink } from './log-sink.js';

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
  return pino(options, new LogSink());
}
