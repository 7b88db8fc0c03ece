// Bytes arrive in arbitrary pieces (TLS records, TCP segments): whatever the split, the parsers
// report exactly the same heads, bodies, completions and errors as for the whole input.
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { RequestParser } from '../../src/http/codec/index.js';
import { collect, splitAt, type Kind, type Outcome } from './helpers/collect.js';
import { requests, responses } from './helpers/messages.js';
import { validRequests, validResponses } from './helpers/valid.js';

const RUNS = Math.min(Number(process.env.HUBGATE_FUZZ_RUNS ?? 400), 20_000);
const TIMEOUT = Math.max(30_000, RUNS * 5);

/** What must not depend on the split (where an error was noticed may: a partial line is
 *  held until it is complete or too long). */
function observable(o: Outcome) {
  return { messages: o.messages, completions: o.completions, error: o.error };
}

function sameForEverySplit(kind: Kind, input: Buffer, cuts: number[], limits = {}): void {
  const whole = collect(kind, [input], { limits });
  const pieces = collect(kind, splitAt(input, cuts), { limits });
  expect(observable(pieces)).toEqual(observable(whole));
  const oneAtATime = collect(kind, splitAt(input, cuts), { limits, pauseEachMessage: true });
  expect(observable(oneAtATime)).toEqual(observable(whole));
}

const cuts = fc.array(fc.nat({ max: 40_000 }), { maxLength: 8 });

describe('split points', () => {
  it.each([
    ['well-formed requests', 'request', validRequests],
    ['well-formed responses', 'response', validResponses],
  ] as const)('give the same result for %s cut anywhere', (_what, kind, arb) => {
    fc.assert(fc.property(arb, cuts, (input, at) => sameForEverySplit(kind, input, at.map((c) => c % (input.length + 1)))), { numRuns: RUNS });
  }, TIMEOUT);

  it.each([
    ['hostile requests', 'request', requests],
    ['hostile responses', 'response', responses],
  ] as const)('give the same result for %s cut anywhere', (_what, kind, arb) => {
    fc.assert(fc.property(arb, cuts, (s, at) => sameForEverySplit(kind, s.bytes, at.map((c) => c % (s.bytes.length + 1)))), { numRuns: RUNS });
  }, TIMEOUT);

  it('give the same result one byte at a time, with small limits in play', () => {
    fc.assert(
      fc.property(requests, (s) => {
        const input = s.bytes.subarray(0, 3_000);
        sameForEverySplit('request', input, Array.from({ length: input.length }, (_, i) => i), { maxHeaderBytes: 512, maxChunkLineBytes: 32 });
      }),
      { numRuns: Math.ceil(RUNS / 8) },
    );
  }, TIMEOUT);
});

describe('body chunks', () => {
  it('are views of the buffer handed to execute, never copies', () => {
    const input = Buffer.from('POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    const chunks: Buffer[] = [];
    const p = new RequestParser({ onHead() {}, onBody: (b) => chunks.push(b), onComplete() {}, onError: (e) => expect.fail(e.toString()) });
    expect(p.execute(input)).toBe(input.length);
    expect(chunks.map((c) => c.toString())).toEqual(['hello', 'abc']);
    for (const c of chunks) expect(c.buffer).toBe(input.buffer);
    expect(chunks[0]!.byteOffset).toBe(input.byteOffset + input.indexOf('hello'));
  });

  it('do not depend on a buffer the caller reuses: a partial line is copied', () => {
    const reused = Buffer.alloc(16);
    const heads: string[] = [];
    const p = new RequestParser({ onHead: (h) => heads.push(h.target), onBody() {}, onComplete() {}, onError: (e) => expect.fail(e.toString()) });
    for (const piece of ['GET /abcdefghij', 'klm HTTP/1.1\r\n', '\r\n']) {
      reused.fill(0);
      reused.write(piece, 'latin1');
      p.execute(reused.subarray(0, piece.length));
    }
    expect(heads).toEqual(['/abcdefghijklm']);
  });
});
