// The request log line is written by hand (src/server/request-log.ts) for speed: pino is the
// oracle. Every entry shape the gateway logs must come out as the line pino writes for it.
import { describe, it, expect } from 'vitest';
import { createLogger } from '../../src/log.js';
import fc from 'fast-check';
import { msText, writeRequestLine, type RequestEntry } from '../../src/server/request-log.js';

function lines(level: string, write: (log: ReturnType<typeof createLogger>) => void): string[] {
  const out: string[] = [];
  const log = createLogger(level, { write: (s: string) => void out.push(s) });
  write(log);
  return out;
}

/** An entry with its keys in the order src/server/record.ts builds them (pino keeps that order). */
function e(over: Partial<RequestEntry>): RequestEntry {
  const x: RequestEntry = { app: 'shop', method: 'POST', path: '/webhooks/shop', status: 200, remote: '203.0.113.7', cert: 'ab'.repeat(32), ms: 1.234567, upstreamMs: 0.5, ...over };
  return {
    app: x.app, method: x.method, path: x.path, status: x.status, stage: x.stage, reason: x.reason, detail: x.detail,
    remote: x.remote, cert: x.cert, ms: x.ms, upstreamMs: x.upstreamMs, duplicate: x.duplicate,
  };
}
const BASE = e({});

const ENTRIES: Array<[string, RequestEntry]> = [
  ['a delivery', BASE],
  ['a refusal with a detail', e({ status: 400, stage: 'body', reason: 'malformed_request', detail: 'HPE_INVALID_HEADER_TOKEN', upstreamMs: undefined })],
  ['no app, no certificate', e({ app: undefined, cert: undefined, status: 403, stage: 'certificate', reason: 'client_cert_required', upstreamMs: undefined })],
  ['a duplicate', e({ duplicate: true, upstreamMs: undefined })],
  ['a path and detail JSON must escape', e({ path: '/a"b\\c', detail: 'invalid byte \'\\x01\'\u0001', stage: 'route', reason: 'path_not_canonical', status: 404 })],
  ['non-ASCII in a path', e({ path: '/caf\u00e9/\u{1f600}' })],
  ['durations in whole µs, as record.ts rounds them', e({ ms: 12.05, upstreamMs: 0.001 })],
  ['durations with no fraction', e({ ms: 3, upstreamMs: 0 })],
];

describe('the request log line', () => {
  it.each(ENTRIES)('is what pino writes for %s', (_what, entry) => {
    const refused = entry.reason !== undefined;
    const [ours] = lines('info', (log) => writeRequestLine(log, refused, entry));
    const [pinos] = lines('info', (log) => (refused ? log.warn(entry, 'request refused') : log.info(entry, 'request')));
    const a = JSON.parse(ours!) as Record<string, unknown>;
    const b = JSON.parse(pinos!) as Record<string, unknown>;
    expect(typeof a.time).toBe('string');
    expect(Math.abs(Date.parse(a.time as string) - Date.parse(b.time as string))).toBeLessThan(1_000);
    delete a.time;
    delete b.time;
    expect(a).toEqual(b);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    expect(ours!.endsWith('}\n')).toBe(true);
  });

  it('follows the logger’s level', () => {
    expect(lines('warn', (log) => writeRequestLine(log, false, BASE))).toEqual([]);
    expect(lines('warn', (log) => writeRequestLine(log, true, e({ stage: 'body', reason: 'body_too_large' })))).toHaveLength(1);
    expect(lines('silent', (log) => writeRequestLine(log, true, e({ stage: 'body', reason: 'body_too_large' })))).toEqual([]);
  });

  it('writes a duration exactly as JSON.stringify does', () => {
    // Whole µs (what record.ts logs): written from integers, digit for digit what pino writes.
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (us) => msText(us / 1000) === JSON.stringify(us / 1000)), { numRuns: 20_000 });
    // Anything else falls back to JSON.stringify.
    fc.assert(fc.property(fc.double(), (x) => msText(x) === JSON.stringify(x)), { numRuns: 20_000 });
    for (const x of [0, 0.001, 0.01, 0.1, 0.5, 1, 1.5, 12.05, 999.999, 1000, 1073741.823, 1073741.824, -0.001, 1.2345, 1e21]) expect(msText(x)).toBe(JSON.stringify(x));
  });
});
