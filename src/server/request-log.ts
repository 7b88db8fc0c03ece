// The request log line (SPEC §7), one per request and by far the hottest line, written without
// pino's generic serializer: its fields are known, so it is one template with the few strings
// that could need it escaped: 0.7 µs a line against pino's 2.5 µs into the same sink
// (bench/request-log.mjs; docs/decisions/0004-data-path.md). The
// line is what pino writes for the same entry (level, time, pid, the fields, msg), into pino's
// own destination, so lines stay in order; an entry with nested fields (SPEC §9 destinations)
// still goes through pino. Nothing here can hold a secret: the path is cut before its query.
import pino from 'pino';
import type { Logger } from '../log.js';

export interface RequestEntry {
  readonly app: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly stage?: string;
  readonly reason?: string;
  readonly detail?: string;
  readonly remote: string;
  readonly cert: string | undefined;
  readonly ms: number;
  readonly upstreamMs?: number;
  readonly duplicate?: boolean;
}

const INFO = 30;
const WARN = 40;
/** Characters JSON needs escaped (and a lone surrogate, which only JSON.stringify handles). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

let lastMs = 0;
let lastTime = '';
/** pino.stdTimeFunctions.isoTime, made once per millisecond rather than once per line. */
function isoTime(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastTime = `,"time":"${new Date(ms).toISOString()}"`;
  }
  return lastTime;
}

interface Destination {
  write(line: string): unknown;
}

/** Writes `entry` as a `request` (info) or `request refused` (warn) line, if the level allows. */
export function writeRequestLine(log: Logger, refused: boolean, entry: RequestEntry): void {
  const level = refused ? WARN : INFO;
  if (log.levelVal > level) return;
  const stream = (log as unknown as Record<symbol, Destination>)[pino.symbols.streamSym]!;
  let line = `{"level":${level}${isoTime()},"pid":${process.pid}`;
  if (entry.app !== undefined) line += `,"app":${str(entry.app)}`;
  line += `,"method":${str(entry.method)},"path":${str(entry.path)},"status":${entry.status}`;
  if (entry.stage !== undefined) line += `,"stage":"${entry.stage}","reason":"${entry.reason}"`;
  if (entry.detail !== undefined) line += `,"detail":${str(entry.detail)}`;
  line += `,"remote":${str(entry.remote)}`;
  if (entry.cert !== undefined) line += `,"cert":"${entry.cert}"`;
  line += `,"ms":${entry.ms}`;
  if (entry.upstreamMs !== undefined) line += `,"upstreamMs":${entry.upstreamMs}`;
  if (entry.duplicate !== undefined) line += `,"duplicate":${entry.duplicate}`;
  stream.write(`${line},"msg":"${refused ? 'request refused' : 'request'}"}\n`);
}
