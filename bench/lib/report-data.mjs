// The numbers RESULTS.md and results.svg show, from one run's raw per-run rows: medians over
// rounds, and ratios / differences taken per round — between the runs next to each other in time —
// then the median (with the range) over rounds.

export const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
export const range = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined && Number.isFinite(x));
  return v.length ? [Math.min(...v), Math.max(...v)] : null;
};
export const fmt = (x, d = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));

/** Issue 10's bars (per core) and the scenario rows of the throughput tables, in display order. */
export const ROWS = [
  { s: 'hs', what: 'full mTLS handshakes/s', metric: 'rps', vsNginx: 0.8, vsNjs: 1.0 },
  { s: 'rs13', what: 'resumed TLS 1.3 handshakes/s', metric: 'rps' },
  { s: 'rs12', what: 'resumed TLS 1.2 handshakes/s', metric: 'rps' },
  { s: 'ka1k', what: 'keep-alive 1 KB req/s', metric: 'rps', vsNginx: 0.8, vsNjs: 1.0 },
  { s: 'ka64k', what: 'keep-alive 64 KB req/s', metric: 'rps', vsNginx: 0.8, vsNjs: 1.0 },
  { s: 'ka3m', what: 'keep-alive 3 MB, MB/s', metric: 'mbps' },
];
export const BARS = { rssIdleMiB: 64, rssPeakMiB: 100, p99OverNginxMs: 1, gcPauseMs: 5, resumptionRate: 0.95 };
export const KIND_ORDER = { direct: 0, nginx: 1, njs: 2, hubgate: 3 };

/** Rows of one table, its target names in display order, and a per-(target, scenario) cell. */
export function view(result, table) {
  // The events target (issue 12) has its own section (report-events.mjs), not a column here.
  const rows = result.runs.filter((r) => r.table === table && !r.events);
  const names = [...new Set(rows.map((r) => r.target))].sort((a, b) => {
    const ka = rows.find((r) => r.target === a).kind;
    const kb = rows.find((r) => r.target === b).kind;
    return KIND_ORDER[ka] - KIND_ORDER[kb] || a.localeCompare(b);
  });
  const kindOf = (n) => rows.find((r) => r.target === n)?.kind;
  const cell = (name, s) => {
    const rs = rows.filter((r) => r.target === name && r.scenario === s);
    if (!rs.length) return null;
    const pick = (k) => median(rs.map((r) => r[k]));
    const c = { n: rs.length, kind: rs[0].kind, failed: rs.reduce((n, r) => n + r.failed, 0), rpsRange: range(rs.map((r) => r.rps)) };
    for (const k of ['rps', 'mbps', 'p50', 'p99', 'rate', 'targetCpuPct', 'upstreamCpuPct', 'loadgenCpuPct', 'cpu1BusyPct', 'targetUsPerReq', 'upstreamUsPerReq', 'capacity', 'resumptionRate', 'otherCpuPct', 'cpu0AllPct', 'cpu1AllPct', 'rootUsPerReq']) c[k] = pick(k);
    c.peakRssMiB = Math.max(0, ...rs.map((r) => r.peakRssMiB ?? 0)) || null;
    c.negotiated = rs.find((r) => r.negotiated)?.negotiated ?? null;
    return c;
  };
  const memory = (name) => result.memory.find((m) => m.table === table && m.target === name);
  return { rows, names, kindOf, cell, memory, hubgates: names.filter((n) => kindOf(n) === 'hubgate'), of: (kind) => names.find((n) => kindOf(n) === kind) };
}

/** Per round: `name`'s metric ÷ (or − with `diff`) the `against` kind's, same table/scenario/round. */
export function paired(result, table, s, name, against, metric, diff = false) {
  const out = [];
  for (const r of result.runs.filter((x) => x.table === table && x.scenario === s && x.target === name)) {
    const o = result.runs.find((x) => x.table === table && x.scenario === s && x.round === r.round && x.kind === against);
    if (!o || r[metric] === null || o[metric] === null) continue;
    if (diff) out.push(r[metric] - o[metric]);
    else if (o[metric] > 0) out.push(r[metric] / o[metric]);
  }
  return out;
}

/** `{ m, text }`: median ratio in bold with the range when there were several rounds. */
export function ratioText(result, table, s, name, against, metric, d = 2) {
  const rs = paired(result, table, s, name, against, metric);
  const m = median(rs);
  const rg = range(rs);
  return { m, text: m === null ? '—' : `**${fmt(m, d)}×**${rs.length > 1 ? ` (${fmt(rg[0], d)}–${fmt(rg[1], d)})` : ''}` };
}

export const verdict = (ok) => (ok === null ? '' : ok ? ' ✅' : ' ❌');
