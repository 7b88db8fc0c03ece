// One request to an upstream and what became of it: built once per delivery by the client,
// carried by whichever pooled connection sends it, settled exactly once.
import type { Responder } from '../http/exchange.js';
import type { Forwarded } from '../pipeline/forward.js';
import { refuse, type Refusal } from '../refusal.js';

export class UpstreamExchange {
  /** The app's status, once its head is in. */
  status = 0;
  upstreamSeconds = 0;
  /** When the request was written (the `now()` clock). */
  sentAt = 0;
  /** The app's head went to the client: from now on a failure can only cut the answer. */
  headSent = false;
  private settled = false;
  private waiting: NodeJS.Timeout | null = null;

  constructor(
    /** Head and body: one Buffer for a small request (one write), pieces for a large one. */
    readonly payload: Buffer | readonly Buffer[],
    /** Where the answer goes; null reads the status and drops the body (fan-out). */
    readonly sink: Responder | null,
    readonly timeoutMs: number,
    private readonly resolve: (result: Forwarded | Refusal) => void,
  ) {}

  settle(result: Forwarded | Refusal): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(result);
  }

  /** Waits in `queue` for a free connection, at most `timeoutMs` (then 504, as a late answer). */
  queueFor(queue: UpstreamExchange[]): void {
    queue.push(this);
    this.waiting = setTimeout(() => {
      const i = queue.indexOf(this);
      if (i !== -1) queue.splice(i, 1);
      this.settle(refuse('upstream_timeout', 'no free upstream connection'));
    }, this.timeoutMs);
  }

  dequeued(): this {
    if (this.waiting !== null) clearTimeout(this.waiting);
    this.waiting = null;
    return this;
  }
}
