// SPEC.md §9 "Acknowledgement": Meta's answer from the destinations' outcomes.
import { describe, expect, it } from 'vitest';
import { acknowledge, type DestinationOutcome } from '../../src/events/index.js';

function outcome(name: string, o: Partial<DestinationOutcome>): DestinationOutcome {
  return { name, required: true, delivered: 0, duplicate: 0, failed: 0, status: undefined, failure: 0, ...o };
}

describe('acknowledgement', () => {
  it('is 200 when every required destination answered 2xx', () => {
    expect(acknowledge([outcome('upstream', { delivered: 2, status: 204 }), outcome('acme', { delivered: 1, status: 200 })])).toEqual({ status: 200, duplicate: false });
  });

  it('is 200 with the duplicate flag when every event had been delivered before', () => {
    expect(acknowledge([outcome('upstream', { duplicate: 2 }), outcome('acme', { duplicate: 1 })])).toEqual({ status: 200, duplicate: true });
  });

  it('is not a duplicate when some event was delivered now', () => {
    expect(acknowledge([outcome('upstream', { duplicate: 2 }), outcome('acme', { delivered: 1, status: 200 })])).toEqual({ status: 200, duplicate: false });
  });

  it('is the failing tenant\'s own status when one required destination failed', () => {
    expect(acknowledge([outcome('upstream', { delivered: 2, status: 200 }), outcome('acme', { failed: 1, status: 429, failure: 429 })])).toEqual({ status: 429, duplicate: false });
  });

  it('is the worst (highest) status when several failed', () => {
    const outcomes = [
      outcome('a', { failed: 1, status: 500, failure: 500 }),
      outcome('b', { failed: 1, status: 504, failure: 504 }),
      outcome('c', { failed: 1, status: 502, failure: 502 }),
    ];
    expect(acknowledge(outcomes).status).toBe(504);
  });

  it('ignores a failed destination that is not required, but does not call the delivery a duplicate', () => {
    const outcomes = [outcome('upstream', { duplicate: 3 }), outcome('analytics', { required: false, failed: 3, status: 502, failure: 502 })];
    expect(acknowledge(outcomes)).toEqual({ status: 200, duplicate: false });
  });

  it('fails on a twin that failed or is still in flight, even with nothing sent', () => {
    expect(acknowledge([outcome('upstream', { failed: 1, failure: 504 })])).toEqual({ status: 504, duplicate: false });
  });
});
