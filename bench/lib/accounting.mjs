// Exact accounting for the distinct-request scenarios (issue 12's events): over a whole run —
// warm-up and the generators' final drain included — the upstream POSTs each tenant received,
// held against the requests hubgate answered 2xx, and hubgate's own event counters. A run where
// hubgate forwarded less (duplicates, lost events) or more (a tenant getting another's events,
// a re-sent batch) than the job says is marked, not hidden behind a req/s figure.
import { upstreamStats } from './targets.mjs';
import { adminMetric } from './hubgate.mjs';
import { appOf, bodyBytes } from './scenarios.mjs';

/** What to compare after the run: the upstream's counters and hubgate's event counters now, and
 *  V8's heap in use (all hubgate processes) — where a memory dedupe store's growth shows. */
export async function snapshot(ctx, target, sc) {
  const app = appOf(sc);
  const events = async (outcome) => (await adminMetric(target.proc, 'hubgate_events_total', [`app="${app.name}"`, `outcome="${outcome}"`])) ?? 0;
  const heap = await adminMetric(target.proc, 'hubgate_nodejs_heap_size_used_bytes');
  return { upstream: await upstreamStats(ctx.upstreamPort), delivered: await events('delivered'), duplicate: await events('duplicate'), failed: await events('failed'), heapUsedMiB: heap === null ? null : heap / 2 ** 20 };
}

const delta = (a, b, k) => (b[k] ?? 0) - (a[k] ?? 0);

/** The generators' whole-run answers, summed. */
function sum(results) {
  const t = { ok: 0, notOk: 0, errors: 0, duplicates: 0, unanswered: 0 };
  for (const r of results) for (const k of Object.keys(t)) t[k] += r.total?.[k] ?? 0;
  return t;
}

/** The run's accounting and whether it matches the job exactly (`problems` empty). `results`:
 *  the generators' result lines (their `total`: every answer of the run). */
export function account(sc, before, after, results) {
  const app = appOf(sc);
  const totals = sum(results);
  const u0 = before.upstream;
  const u1 = after.upstream;
  const perPath = (p) => delta(u0.paths[p] ?? {}, u1.paths[p] ?? {}, 'requests');
  const tenants = Array.from({ length: app.tenants }, (_, i) => perPath(app.tenantPath(i)));
  const requests = delta(u0, u1, 'requests');
  const rewritten = delta(u0, u1, 'rewritten');
  const deliveries = totals.ok;
  const eventsPer = sc.eventsPerRequest;
  const problems = [];
  if (totals.notOk || totals.errors || totals.unanswered) problems.push(`${totals.notOk} non-2xx, ${totals.errors} broken, ${totals.unanswered} unanswered`);
  if (totals.duplicates) problems.push(`${totals.duplicates} answered as duplicates`);
  if (requests !== sc.upstreamPerRequest * deliveries) problems.push(`${requests} upstream POSTs for ${deliveries} deliveries (expected ${sc.upstreamPerRequest} each)`);
  if (perPath(app.upstreamPath)) problems.push(`${perPath(app.upstreamPath)} POSTs reached the app's default upstream`);
  if (sc.upstreamPerRequest === 1) {
    // One tenant per delivery, alternating: Meta's bytes (not rewritten, as long), tenants even.
    if (rewritten) problems.push(`${rewritten} single-tenant deliveries were rewritten`);
    if (delta(u0, u1, 'bodyBytes') !== deliveries * bodyBytes(sc)) problems.push(`${delta(u0, u1, 'bodyBytes')} body bytes upstream for ${deliveries} deliveries of ${bodyBytes(sc)}`);
    if (Math.abs(tenants[0] - tenants[1]) > 2) problems.push(`tenants got ${tenants.join(' / ')}`);
  } else {
    if (rewritten !== requests) problems.push(`${requests - rewritten} of ${requests} POSTs not rewritten`);
    if (tenants.some((n) => n !== deliveries)) problems.push(`tenants got ${tenants.join(' / ')} of ${deliveries}`);
  }
  const hmacBad = delta(u0, u1, 'hmacBad');
  if (hmacBad) problems.push(`${hmacBad} bad HMACs at the upstream`);
  const delivered = after.delivered - before.delivered;
  if (delivered !== eventsPer * deliveries || after.duplicate !== before.duplicate || after.failed !== before.failed) {
    problems.push(`hubgate counted ${delivered} events delivered (expected ${eventsPer * deliveries}), ${after.duplicate - before.duplicate} duplicate, ${after.failed - before.failed} failed`);
  }
  return {
    deliveries,
    upstreamRequests: requests,
    upstreamPerDelivery: deliveries ? requests / deliveries : null,
    upstreamBytesPerPost: requests ? delta(u0, u1, 'bodyBytes') / requests : null,
    rewritten,
    tenants,
    eventsDelivered: delivered,
    heapUsedMiB: after.heapUsedMiB,
    hmacChecked: delta(u0, u1, 'hmacChecked'),
    hmacBad,
    problems,
  };
}

/** The progress line's tail for a distinct run. */
export const accountingText = ({ accounting: a, storeUsPerReq, peakRssMiB }) =>
  a ? `  ${a.upstreamRequests}/${a.deliveries} upstream POSTs ${a.problems.length ? `⚠ ${a.problems.join('; ')}` : 'exact'}${storeUsPerReq === null ? '' : `  redis ${storeUsPerReq.toFixed(0)} µs/req`}  RSS peak ${peakRssMiB?.toFixed(0)} MiB` : '';
