// The differential fuzz of issue 10: random and hostile requests and upstream answers through
// our parser and through node's llhttp (helpers/oracle.ts). It fails on any input one accepts
// and the other refuses, or that both accept with a different method, target, version, fields,
// body or persistence — except refusals of ours that helpers/stricter.ts lists, each with the
// RFC rule it enforces. Inputs built to be in one of those classes must be refused by us.
// `npm test` runs a bounded number; `npm run fuzz` a long run (HUBGATE_FUZZ_RUNS, and
// HUBGATE_FUZZ_SEED to replay the seed a failure prints).
import fc from 'fast-check';
import { describe, it, expect, afterAll } from 'vitest';
import { requests, responses, type Sample } from './helpers/messages.js';
import { validRequests, validResponses } from './helpers/valid.js';
import { compare, type Verdict } from './helpers/differential.js';
import type { Kind } from './helpers/collect.js';

const RUNS = Number(process.env.HUBGATE_FUZZ_RUNS ?? 1200);
const SEED = process.env.HUBGATE_FUZZ_SEED === undefined ? undefined : Number(process.env.HUBGATE_FUZZ_SEED);
/** Long runs (npm run fuzz) need more than vitest's default 30 s per test. */
const TIMEOUT = Math.max(30_000, RUNS * 5);
const stats = new Map<string, number>();

function check(kind: Kind, sample: Sample): void {
  const v: Verdict = compare(kind, sample.bytes);
  const key = `${kind}: ${v.disagreement ? 'DISAGREE' : v.explainedBy ?? (v.ours.error ? `both refuse (${v.ours.error.code})` : 'both accept')}`;
  stats.set(key, (stats.get(key) ?? 0) + 1);
  if (v.disagreement !== null) {
    throw new Error(`${v.disagreement}\ninput: ${JSON.stringify(sample.bytes.toString('latin1')).slice(0, 2000)}\nours: ${JSON.stringify(v.ours).slice(0, 1500)}\nllhttp: ${JSON.stringify(v.theirs).slice(0, 1500)}`);
  }
  if (sample.tags.length > 0) {
    expect(v.ours.error, `built to be refused (${sample.tags.join(', ')}): ${JSON.stringify(sample.bytes.toString('latin1')).slice(0, 500)}`).not.toBeNull();
  }
}

describe(`differential fuzz against node's llhttp ${process.versions.llhttp} (${RUNS} runs each)`, () => {
  it('agrees with llhttp on every request, except the documented stricter classes', () => {
    fc.assert(fc.property(requests, (s) => check('request', s)), { numRuns: RUNS, seed: SEED, endOnFailure: true });
  }, TIMEOUT);

  it('agrees with the node:http client parser on every upstream response, except the documented stricter classes', () => {
    fc.assert(fc.property(responses, (s) => check('response', s)), { numRuns: RUNS, seed: SEED, endOnFailure: true });
  }, TIMEOUT);

  afterAll(() => {
    if (process.env.HUBGATE_FUZZ_STATS) console.log([...stats].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
  });
});

describe('well-formed messages (both parsers accept, the same way)', () => {
  it.each(['request', 'response'] as const)('accepts every well-formed %s exactly as llhttp does', (kind) => {
    fc.assert(
      fc.property(kind === 'request' ? validRequests : validResponses, (bytes) => {
        check(kind, { bytes, tags: [] });
        const v = compare(kind, bytes);
        expect(v.ours.error).toBeNull();
        expect(v.theirs.error).toBeNull();
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED, endOnFailure: true },
    );
  }, TIMEOUT);
});
