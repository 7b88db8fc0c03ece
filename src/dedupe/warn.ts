import { performance } from 'node:perf_hooks';

/** The slice of a pino logger the dedupe code needs; pass `log.child({ app })`. */
export interface DedupeLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export const WARN_INTERVAL_MS = 10_000;

/**
 * During a Redis outage every delivery hits the same error; one warning per interval (with
 * the number suppressed) says it without doubling the log volume. The metric counts them all.
 */
export function throttledWarn(
  log: DedupeLog | undefined,
  intervalMs = WARN_INTERVAL_MS,
): (obj: Record<string, unknown>, msg: string) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (obj, msg) => {
    if (log === undefined) return;
    const t = performance.now();
    if (t - last < intervalMs) {
      suppressed++;
      return;
    }
    log.warn(suppressed > 0 ? { ...obj, suppressed } : obj, msg);
    last = t;
    suppressed = 0;
  };
}
