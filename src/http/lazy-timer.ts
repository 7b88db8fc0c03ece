// One timer per connection for all of its deadlines (head, request, idle, upstream silence),
// re-armed lazily: a deadline that moves later costs nothing (the timer fires early, sees the
// new deadline and sleeps again), and only a deadline that moves earlier than the one set
// costs a new timer. Steady keep-alive traffic thus touches no timer per request; a timer per
// request was a measurable share of node:http's cost.
import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds, the clock every deadline is on. */
export const now = (): number => performance.now();

export class LazyTimer {
  private timer: NodeJS.Timeout | null = null;
  /** When the scheduled timer fires (0: none scheduled). */
  private at = 0;
  private readonly fire = (): void => this.fired();

  /**
   * @param due the current deadline on the `now()` clock, or 0 when nothing is due
   * @param expire called once the deadline has passed; it changes what `due` says
   */
  constructor(
    private readonly due: () => number,
    private readonly expire: () => void,
    /** false: the timer alone does not keep the process running (an idle pool's sweep). */
    private readonly ref = true,
  ) {}

  /** Makes sure the timer fires no later than the current deadline. */
  arm(): void {
    const at = this.due();
    if (at === 0 || (this.timer !== null && this.at <= at)) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.schedule(at, now());
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.at = 0;
  }

  private fired(): void {
    this.timer = null;
    this.at = 0;
    const at = this.due();
    if (at === 0) return;
    const t = now();
    if (t >= at) this.expire();
    else this.schedule(at, t);
  }

  private schedule(at: number, t: number): void {
    this.at = at;
    // Node's timers have 1 ms resolution; firing a fraction early only costs a re-check.
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - t)));
    if (!this.ref) this.timer.unref();
  }
}
