// SPEC.md §9 "Acknowledgement", as a pure function: Meta gets a 2xx only when every required
// destination that received events answered 2xx (or had them already); otherwise the worst
// failure, so Meta retries the whole batch and event dedupe lets only the missing events through.
// A non-required fan-out destination's failure is counted and logged, never answered.

/** What became of one destination's share of a delivery. */
export interface DestinationOutcome {
  readonly name: string;
  readonly required: boolean;
  /** Events routed to it, by fate: sent and answered 2xx; remembered from before (or delivered
   *  meanwhile by a twin in flight); not delivered (non-2xx, unreachable, twin failed or still
   *  in flight elsewhere). */
  readonly delivered: number;
  readonly duplicate: number;
  readonly failed: number;
  /** The answer to the body sent to it (502/504: unreachable/timed out); undefined: nothing
   *  was sent (all its events were duplicates or waited for). */
  readonly status: number | undefined;
  /** The status Meta should get on its account: 0 when it has every event it was given. */
  readonly failure: number;
}

export interface Acknowledgement {
  readonly status: number;
  /** Every event of the delivery had been delivered before: `X-Hubgate-Duplicate: 1`. */
  readonly duplicate: boolean;
}

/**
 * The worst failure is the highest status among the required destinations that failed: a 504
 * (timed out) over a 502 (unreachable) over a 500 over a 429 — any non-2xx makes Meta retry, and
 * the highest is the one an operator most needs to see in Meta's dashboard.
 */
export function acknowledge(outcomes: readonly DestinationOutcome[]): Acknowledgement {
  let worst = 0;
  let allDuplicate = true;
  for (const o of outcomes) {
    if (o.required && o.failure > worst) worst = o.failure;
    if (o.delivered > 0 || o.failed > 0) allDuplicate = false;
  }
  if (worst !== 0) return { status: worst, duplicate: false };
  return { status: 200, duplicate: allDuplicate };
}
