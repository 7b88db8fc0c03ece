// What the gateway does with a POST once deduplication has had its say. Only `forwarded`
// went upstream; every other outcome is answered by the gateway with `status` and no body.
// Invariant (SPEC.md §2): a 2xx is only ever answered when some upstream answered 2xx to
// these exact bytes — `duplicate` means one did.

export type DedupeResult =
  /** This request went upstream; its response is the upstream's. `bypassed`: the store
   *  failed and the request was forwarded without deduplication (at-least-once). */
  | { readonly outcome: 'forwarded'; readonly status: number; readonly bypassed: boolean }
  /** An identical delivery already reached the upstream with a 2xx: answer 200 with
   *  `X-Hubgate-Duplicate: 1`, count `hubgate_duplicates_total{app}`. */
  | { readonly outcome: 'duplicate'; readonly status: 200 }
  /** An identical delivery was in flight and failed; this one gets the same status (502 when
   *  the twin ran on another replica and its status is unknown) so Meta retries it later. */
  | { readonly outcome: 'twin_failed'; readonly status: number }
  /** An identical delivery was still in flight after `waitMs`: 504, Meta retries later. */
  | { readonly outcome: 'wait_timeout'; readonly status: 504 };

/** The status a waiter gets when its twin ran on another replica and is gone without a 2xx. */
export const REMOTE_TWIN_FAILED_STATUS = 502;
export const WAIT_TIMEOUT_STATUS = 504;
/** A forward that threw (a bug, or an aborted proxy) counts as this for the waiters. */
export const FORWARD_THREW_STATUS = 502;

export function is2xx(status: number): boolean {
  return status >= 200 && status <= 299;
}

/** How a local waiter's answer derives from its twin's: a duplicate iff the twin got a 2xx. */
export function waiterResult(twin: DedupeResult): DedupeResult {
  switch (twin.outcome) {
    case 'forwarded':
      return is2xx(twin.status) ? DUPLICATE : { outcome: 'twin_failed', status: twin.status };
    case 'duplicate':
    case 'twin_failed':
    case 'wait_timeout':
      return twin;
  }
}

export const DUPLICATE: DedupeResult = Object.freeze({ outcome: 'duplicate', status: 200 });
export const WAIT_TIMEOUT: DedupeResult = Object.freeze({ outcome: 'wait_timeout', status: WAIT_TIMEOUT_STATUS });
