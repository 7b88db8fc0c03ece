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

/** ".001" … ".999" with trailing zeros cut ("" for 0): the fraction of a duration in whole µs. */
const FRACTION: readonly string[] = Array.from({ length: 1000 }, (_, i) => (i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`));

/**
 * A duration in ms, as JSON.stringify writes it. Written from integers because interpolating a
 * double goes through V8's number-to-string cache, which holds every distinct value (and its
 * string) until it is overwritten: under load that was most of what survived the young
 * generation, and the cause of the mark-compacts over 5 ms (docs/decisions/0004-data-path.md).
 * Durations are rounded to µs (record.ts); anything else is left to JSON.stringify.
 */
export function msText(ms: number): string {
  const us = Math.round(ms * 1000);
  if (us / 1000 !== ms || us < 0 || us > 0x3fffffff) return JSON.stringify(ms);
  const whole = Math.floor(us / 1000);
  return `${whole}${FRACTION[us - whole * 1000]}`;
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
  line += `,"ms":${msText(entry.ms)}`;
  if (entry.upstreamMs !== undefined) line += `,"upstreamMs":${msText(entry.upstreamMs)}`;
  if (entry.duplicate !== undefined) line += `,"duplicate":${entry.duplicate}`;
  stream.write(`${line},"msg":"${refused ? 'request refused' : 'request'}"}\n`);
}
