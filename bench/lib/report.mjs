// bench/RESULTS.md and bench/results.svg from one run's measurements (no dependencies: the SVG
// is written by hand). Ratios to nginx are taken per round — the two runs next to each other in
// time — and the median over rounds is reported, with the range.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const median = (xs) => {
  const v = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const range = (xs) => {
  const v = xs.filter((x) => x !== null && Number.isFinite(x));
  return v.length ? [Math.min(...v), Math.max(...v)] : null;
};
const fmt = (x, d = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));

export const TARGETS = {
  'ka1k': { metric: 'rps', min: 0.6, what: 'keep-alive 1 KB req/s' },
  'ka64k': { metric: 'rps', min: 0.6, what: 'keep-alive 64 KB req/s' },
  'ka3m': { metric: 'mbps', min: 0.8, what: '3 MB throughput (MB/s)' },
  'hs': { metric: 'rps', min: 0.8, what: 'handshakes/s' },
};

/** Per-round ratio of `name` to the nginx run of the same round and scenario. */
export function pairedRatios(runs, table, scenario, name, metric) {
  const out = [];
  for (const r of runs.filter((x) => x.table === table && x.scenario === scenario && x.target === name)) {
    const ng = runs.find((x) => x.table === table && x.scenario === scenario && x.round === r.round && x.kind === 'nginx');
    if (ng && ng[metric] > 0) out.push(r[metric] / ng[metric]);
  }
  return out;
}

function pairedDiff(runs, table, scenario, name, key, against) {
  const out = [];
  for (const r of runs.filter((x) => x.table === table && x.scenario === scenario && x.target === name)) {
    const o = runs.find((x) => x.table === table && x.scenario === scenario && x.round === r.round && x.kind === against);
    if (o && r[key] !== null && o[key] !== null) out.push(r[key] - o[key]);
  }
  return out;
}

function summarise(runs, table) {
  const rows = runs.filter((r) => r.table === table);
  const rank = { direct: 0, nginx: 1, hubgate: 2 };
  const names = [...new Set(rows.map((r) => r.target))].sort((a, b) => {
    const ka = rows.find((r) => r.target === a).kind;
    const kb = rows.find((r) => r.target === b).kind;
    return rank[ka] - rank[kb] || a.localeCompare(b);
  });
  const scen = [...new Set(rows.map((r) => r.scenario))];
  const cell = (name, s) => {
    const rs = rows.filter((r) => r.target === name && r.scenario === s);
    if (!rs.length) return null;
    const pick = (k) => median(rs.map((r) => r[k]));
    return {
      n: rs.length,
      kind: rs[0].kind,
      rps: pick('rps'),
      mbps: pick('mbps'),
      p50: pick('p50'),
      p99: pick('p99'),
      rate: pick('rate'),
      targetCpuPct: pick('targetCpuPct'),
      upstreamCpuPct: pick('upstreamCpuPct'),
      loadgenCpuPct: pick('loadgenCpuPct'),
      cpuSecPer10k: pick('cpuSecPer10k'),
      peakRssMiB: Math.max(...rs.map((r) => r.peakRssMiB ?? 0)) || null,
      failed: rs.reduce((n, r) => n + r.failed, 0),
      rpsRange: range(rs.map((r) => r.rps)),
      capacity: pick('capacity'),
    };
  };
  return { names, scen, cell };
}

function ratioCell(runs, table, s, name, metric) {
  const rs = pairedRatios(runs, table, s, name, metric);
  const m = median(rs);
  const rg = range(rs);
  return { m, text: m === null ? '—' : `**${fmt(m, 2)}×**${rs.length > 1 ? ` (${fmt(rg[0], 2)}–${fmt(rg[1], 2)})` : ''}` };
}

function throughputTable(runs, table, lines) {
  const { names, cell } = summarise(runs, table);
  const proxied = names.filter((n) => cell(n, 'ka1k')?.kind === 'hubgate');
  lines.push(`| scenario | ${names.join(' | ')} | ${proxied.map((n) => `${n.replace(/^\(\S+\) /, '')} ÷ nginx`).join(' | ')} | target |`);
  lines.push(`|---|${names.map(() => '---:').join('|')}|${proxied.map(() => '---:').join('|')}|---|`);
  for (const [s, t] of Object.entries(TARGETS).sort((a, b) => ['hs', 'ka1k', 'ka64k', 'ka3m'].indexOf(a[0]) - ['hs', 'ka1k', 'ka64k', 'ka3m'].indexOf(b[0]))) {
    const vals = names.map((n) => {
      const c = cell(n, s);
      if (!c) return 'n/a';
      const v = t.metric === 'mbps' ? `${fmt(c.mbps, 0)} MB/s` : fmt(c.rps, 0);
      return c.failed ? `${v} ⚠ ${c.failed} failed` : v;
    });
    const ratios = proxied.map((n) => {
      const r = ratioCell(runs, table, s, n, t.metric);
      return r.m === null ? '—' : `${r.text} ${r.m >= t.min ? '✅' : '❌'}`;
    });
    lines.push(`| ${t.what}${s === 'hs' && table === 'per-core' ? ' (measured)' : ''} | ${vals.join(' | ')} | ${ratios.join(' | ')} | ≥ ${t.min}× |`);
    if (s === 'hs' && table === 'per-core') {
      const caps = names.map((n) => fmt(cell(n, s)?.capacity, 0));
      const capRatios = proxied.map((n) => {
        const r = ratioCell(runs, table, s, n, 'capacity');
        return r.m === null ? '—' : `${r.text} ${r.m >= t.min ? '✅' : '❌'}`;
      });
      lines.push(`| handshakes/s CPU 1 can do (measured ÷ CPU 1 busy) | ${caps.join(' | ')} | ${capRatios.join(' | ')} | ≥ ${t.min}× |`);
    }
  }
}

function latencyTable(runs, table, lines, scenario = 'lat1k') {
  const { names, cell } = summarise(runs, table);
  const c0 = cell(names[0], scenario);
  if (!c0) return;
  const whose = scenario === 'lat1k' ? "nginx's" : "the slowest proxy's";
  lines.push(`Offered load: ${fmt(c0?.rate, 0)} req/s (½ of ${whose} 1 KB keep-alive peak in the same round), open loop over 50 connections, latency from the intended send time.`, '');
  const overloaded = names.filter((n) => {
    const c = cell(n, scenario);
    return c && c.rate && c.rps < 0.95 * c.rate;
  });
  if (overloaded.length) lines.push(`⚠ ${overloaded.map((n) => `${n} completed only ${fmt(cell(n, scenario).rps, 0)} req/s`).join('; ')}: the offered load is above its peak, so its latency is queueing time that grows with the run's length, not a steady-state figure.`, '');
  lines.push('| target | p50 ms | p99 ms | p50 added over direct | p99 added over direct | p99 added − nginx\'s p99 added (per round) | target |');
  lines.push('|---|---:|---:|---:|---:|---:|---|');
  for (const n of names) {
    const c = cell(n, scenario);
    if (!c) continue;
    const add50 = median(pairedDiff(runs, table, scenario, n, 'p50', 'direct'));
    const add99 = median(pairedDiff(runs, table, scenario, n, 'p99', 'direct'));
    const vsNginx = c.kind === 'hubgate' ? median(pairedDiff(runs, table, scenario, n, 'p99', 'nginx')) : null;
    const verdict = c.kind === 'hubgate' ? (scenario !== 'lat1k' ? '(context)' : vsNginx <= 2 ? '≤ 2 ms ✅' : '≤ 2 ms ❌') : '';
    lines.push(`| ${n} | ${fmt(c.p50, 2)} | ${fmt(c.p99, 2)} | ${c.kind === 'direct' ? '—' : fmt(add50, 2)} | ${c.kind === 'direct' ? '—' : fmt(add99, 2)} | ${vsNginx === null ? '' : `**${fmt(vsNginx, 2)}**`} | ${verdict} |`);
  }
}

function costTable(runs, table, lines) {
  const { names, cell } = summarise(runs, table);
  lines.push('| target | CPU s / 10k req, 1 KB | 64 KB | 3 MB | handshakes: CPU s / 10k conn | peak RSS MiB (max over scenarios) |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const n of names) {
    const rss = Math.max(...['hs', 'ka1k', 'lat1k', 'lat1kLow', 'ka64k', 'ka3m'].map((s) => cell(n, s)?.peakRssMiB ?? 0));
    lines.push(`| ${n} | ${fmt(cell(n, 'ka1k')?.cpuSecPer10k, 2)} | ${fmt(cell(n, 'ka64k')?.cpuSecPer10k, 2)} | ${fmt(cell(n, 'ka3m')?.cpuSecPer10k, 1)} | ${fmt(cell(n, 'hs')?.cpuSecPer10k, 2)} | ${rss ? fmt(rss, 0) : '—'} |`);
  }
}

function cpuTable(runs, table, lines) {
  const { names, cell } = summarise(runs, table);
  lines.push('| scenario | target | target CPU % | upstream CPU % | load generator CPU % | p50 ms | p99 ms |');
  lines.push('|---|---|---:|---:|---:|---:|---:|');
  for (const s of ['hs', 'ka1k', 'lat1k', 'lat1kLow', 'ka64k', 'ka3m']) {
    for (const n of names) {
      const c = cell(n, s);
      if (!c) continue;
      lines.push(`| ${s} | ${n} | ${fmt(c.targetCpuPct, 0)} | ${c.kind === 'direct' ? '(is the target)' : fmt(c.upstreamCpuPct, 0)} | ${fmt(c.loadgenCpuPct, 0)} | ${fmt(c.p50, 2)} | ${fmt(c.p99, 2)} |`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SVG: per table, one group per scenario, one bar per hubgate target = median paired ratio to
// nginx (nginx = 1.0 line), the target as a tick; then the 1 KB p99 latency per target.

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b'];

function ratioPanel(runs, table, title, x0, y0, w, h) {
  const { names, cell } = summarise(runs, table);
  const hubs = names.filter((n) => cell(n, 'ka1k')?.kind === 'hubgate');
  const groups = ['hs', 'ka1k', 'ka64k', 'ka3m'];
  const maxV = 1.25;
  const out = [`<text x="${x0}" y="${y0 - 14}" font-size="15" font-weight="bold">${esc(title)}</text>`];
  const plotH = h - 60;
  const yOf = (v) => y0 + plotH - (Math.min(v, maxV) / maxV) * plotH;
  for (const v of [0, 0.25, 0.5, 0.75, 1, 1.25]) {
    out.push(`<line x1="${x0 + 40}" x2="${x0 + w}" y1="${yOf(v)}" y2="${yOf(v)}" stroke="${v === 1 ? '#000' : '#ddd'}" stroke-width="${v === 1 ? 1.5 : 1}"${v === 1 ? ' stroke-dasharray="6 3"' : ''}/>`);
    out.push(`<text x="${x0 + 34}" y="${yOf(v) + 4}" font-size="11" text-anchor="end">${v.toFixed(2)}×</text>`);
  }
  out.push(`<text x="${x0 + w}" y="${yOf(1) - 4}" font-size="11" text-anchor="end">nginx = 1.0</text>`);
  const gw = (w - 50) / groups.length;
  groups.forEach((g, gi) => {
    const gx = x0 + 50 + gi * gw;
    const bw = Math.min(40, (gw - 20) / Math.max(1, hubs.length));
    const t = TARGETS[g];
    const metric = t.metric;
    hubs.forEach((n, i) => {
      const m = median(pairedRatios(runs, table, g, n, metric));
      if (m === null) return;
      const bx = gx + 10 + i * bw;
      out.push(`<rect x="${bx}" y="${yOf(m)}" width="${bw - 4}" height="${yOf(0) - yOf(m)}" fill="${COLORS[i % COLORS.length]}"/>`);
      out.push(`<text x="${bx + (bw - 4) / 2}" y="${yOf(m) - 4}" font-size="11" text-anchor="middle">${m.toFixed(2)}</text>`);
    });
    const tx1 = gx + 4;
    const tx2 = gx + 16 + hubs.length * bw;
    out.push(`<line x1="${tx1}" x2="${tx2}" y1="${yOf(t.min)}" y2="${yOf(t.min)}" stroke="#d62728" stroke-width="2"/>`);
    out.push(`<text x="${tx2 + 2}" y="${yOf(t.min) + 4}" font-size="10" fill="#d62728">target ${t.min}</text>`);
    out.push(`<text x="${gx + gw / 2 - 10}" y="${y0 + plotH + 18}" font-size="12" text-anchor="middle">${esc(metric === 'capacity' ? 'handshakes/s (CPU 1 capacity)' : t.what)}</text>`);
    const ng = names.find((n) => cell(n, g)?.kind === 'nginx');
    const nc = ng && cell(ng, g);
    if (nc) out.push(`<text x="${gx + gw / 2 - 10}" y="${y0 + plotH + 32}" font-size="10" fill="#555" text-anchor="middle">nginx ${t.metric === 'mbps' ? `${fmt(nc.mbps)} MB/s` : `${fmt(metric === 'capacity' ? nc.capacity : nc.rps)}/s`}</text>`);
  });
  hubs.forEach((n, i) => {
    out.push(`<rect x="${x0 + 50 + i * 230}" y="${y0 + h - 14}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${x0 + 66 + i * 230}" y="${y0 + h - 4}" font-size="12">${esc(n)} ÷ nginx</text>`);
  });
  if (!hubs.length) out.push(`<text x="${x0 + 60}" y="${y0 + plotH / 2}" font-size="13">no hubgate target in this table</text>`);
  return out.join('\n');
}

function latencyPanel(runs, table, title, x0, y0, w) {
  const { names, cell } = summarise(runs, table);
  const groups = [
    ['lat1k', "at ½ nginx's 1 KB peak"],
    ['lat1kLow', "at ½ the slowest proxy's peak"],
  ].filter(([s]) => names.some((n) => cell(n, s)));
  const out = [`<text x="${x0}" y="${y0 - 14}" font-size="15" font-weight="bold">${esc(title)}</text>`];
  // Log scale: a saturated target's queueing (seconds) and a healthy one's (ms) on one axis.
  const lo = 0.1;
  const hi = 10_000;
  const lx = x0 + 250;
  const span = w - 250 - 230;
  const xOf = (v) => lx + (Math.log10(Math.max(lo, Math.min(hi, v)) / lo) / Math.log10(hi / lo)) * span;
  let y = y0;
  for (const t of [0.1, 1, 10, 100, 1000, 10000]) {
    out.push(`<line x1="${xOf(t)}" x2="${xOf(t)}" y1="${y0 - 4}" y2="${y0 + groups.length * 24 + names.length * groups.length * 24}" stroke="#eee"/>`);
    out.push(`<text x="${xOf(t)}" y="${y0 - 2}" font-size="10" fill="#777" text-anchor="middle">${t >= 1000 ? `${t / 1000} s` : `${t} ms`}</text>`);
  }
  for (const [s, label] of groups) {
    y += 16;
    const rate = names.map((n) => cell(n, s)?.rate).find((r) => r);
    out.push(`<text x="${x0}" y="${y}" font-size="12" font-style="italic">${esc(label)} (${fmt(rate)} req/s offered), log scale — dark: p50, light: p99</text>`);
    y += 8;
    for (const n of names) {
      const c = cell(n, s);
      if (!c) continue;
      const saturated = c.rate && c.rps < 0.95 * c.rate;
      out.push(`<text x="${lx - 6}" y="${y + 14}" font-size="12" text-anchor="end">${esc(n)}</text>`);
      out.push(`<rect x="${lx}" y="${y + 2}" width="${xOf(c.p99) - lx}" height="16" fill="${saturated ? '#fcbba1' : '#c6dbef'}"/>`);
      out.push(`<rect x="${lx}" y="${y + 6}" width="${xOf(c.p50) - lx}" height="8" fill="${saturated ? '#cb181d' : '#08519c'}"/>`);
      out.push(`<text x="${xOf(c.p99) + 4}" y="${y + 14}" font-size="11">p50 ${fmt(c.p50, 2)} / p99 ${fmt(c.p99, 2)} ms${saturated ? ' (saturated)' : ''}</text>`);
      y += 24;
    }
  }
  return { svg: out.join('\n'), height: y - y0 };
}

export function renderSvg(meta, runs) {
  const W = 1000;
  const parts = [];
  let y = 60;
  const tables = [['per-core', 'Per core (generator CPU 0, target + upstream CPU 1): ratio to nginx'], ['auto', 'workers: auto vs worker_processes auto, unpinned: ratio to nginx']];
  for (const [t, title] of tables) {
    if (!runs.some((r) => r.table === t)) continue;
    parts.push(ratioPanel(runs, t, title, 20, y, W - 40, 300));
    y += 350;
    const lat = latencyPanel(runs, t, `1 KB keep-alive latency — ${t === 'per-core' ? 'per core' : 'auto, unpinned'}`, 20, y + 10, W - 40);
    parts.push(lat.svg);
    y += lat.height + 60;
  }
  const head = `<text x="20" y="28" font-size="18" font-weight="bold">hubgate vs nginx (Meta's mTLS recipe) — ${esc(meta.date.slice(0, 10))}, ${esc(meta.machine.model)}, ${esc(meta.machine.nproc)} CPUs</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" viewBox="0 0 ${W} ${y + 10}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${head}
${parts.join('\n')}
</svg>
`;
}

/** The figures a reader wants first: every issue #5 target, per core and workers: auto. */
function headline(runs, L) {
  const table1 = runs.some((r) => r.table === 'per-core');
  const hub = (table) => summarise(runs, table).names.find((n) => runs.find((r) => r.target === n && r.table === table)?.kind === 'hubgate');
  const h1 = hub('per-core');
  const h2 = hub('auto');
  const ratio = (table, name, s, metric) => (name ? ratioCell(runs, table, s, name, metric) : { m: null, text: '—' });
  const verdict = (m, min) => (m === null ? '' : m >= min ? ' ✅' : ' ❌');
  L.push('## Headline', '');
  L.push('hubgate ÷ nginx with Meta\'s recipe, ratio per interleaved pair of runs, median (range). ✅/❌: issue #5\'s target.', '');
  L.push('| scenario | per core: (c) workers: 1 ÷ nginx 1 worker | (d) workers: auto ÷ nginx auto | target |', '|---|---:|---:|---|');
  const rows = [
    ['handshakes/s, measured', 'hs', 'rps', 0.8, 'rps'],
    ['handshakes/s CPU 1 can do (measured ÷ CPU 1 busy)', 'hs', 'capacity', 0.8, null],
    ['keep-alive 1 KB req/s', 'ka1k', 'rps', 0.6, 'rps'],
    ['keep-alive 64 KB req/s', 'ka64k', 'rps', 0.6, 'rps'],
    ['keep-alive 3 MB MB/s', 'ka3m', 'mbps', 0.8, 'mbps'],
  ];
  for (const [what, s, metric, min, autoMetric] of rows) {
    const a = table1 ? ratio('per-core', h1, s, metric) : { m: null, text: '—' };
    const b = autoMetric ? ratio('auto', h2, s, autoMetric) : { m: null, text: '—' };
    L.push(`| ${what} | ${a.text}${verdict(a.m, min)} | ${b.text}${verdict(b.m, min)} | ≥ ${min}× |`);
  }
  const lat = (table, name) => {
    if (!name) return '—';
    const d = median(pairedDiff(runs, table, 'lat1k', name, 'p99', 'nginx'));
    const c = summarise(runs, table).cell(name, 'lat1k');
    if (d === null || !c) return '—';
    const sat = c.rate && c.rps < 0.95 * c.rate ? ` (saturated: ${fmt(c.rps, 0)} of ${fmt(c.rate, 0)} req/s offered)` : '';
    return `**${fmt(d, 2)} ms**${sat}${d <= 2 ? ' ✅' : ' ❌'}`;
  };
  L.push(`| p99 added at 1 KB at ½ nginx's peak, minus nginx's | ${lat('per-core', h1)} | ${lat('auto', h2)} | ≤ 2 ms |`);
  if (table1 && h1) {
    const low = median(pairedDiff(runs, 'per-core', 'lat1kLow', h1, 'p99', 'nginx'));
    const c = summarise(runs, 'per-core').cell(h1, 'lat1kLow');
    if (low !== null && c) L.push(`| (context) the same at ½ the slower proxy's peak, ${fmt(c.rate, 0)} req/s, nothing saturated | ${fmt(low, 2)} ms | — | |`);
  }
  L.push('');
}

/** Static: the side-by-side engine comparison that decided the switch (the harness no longer
 *  runs http-proxy; it is uninstalled). Figures from the run of 2026-11-24T09:47Z. */
function engineDecision(L) {
  L.push('## Forwarding engine decision (measured before the switch)', '');
  L.push(
    'Not measured by this run — kept here as the record. On **2026-11-24** (run of 09:47 UTC, hubgate 1d58b7e + the candidate forwarder, same machine, same harness, 3 interleaved rounds, per core as in table 1, `log.level: info` with the then unbuffered log) both forwarding engines ran side by side: **(c)** http-proxy (then shipped) and **(c′)** an undici forwarder. undici cleared issue #5\'s ≥ 1.5× bar at 1 KB, so it became the forwarding engine and http-proxy was removed. Evidence and reasoning: [docs/decisions/0001-forwarding-engine.md](../docs/decisions/0001-forwarding-engine.md).',
    '',
    '| scenario | (b) nginx, 1 worker | (c) hubgate w1 http-proxy | (c′) hubgate w1 undici | undici ÷ http-proxy, per round | http-proxy ÷ nginx | undici ÷ nginx |',
    '|---|---:|---:|---:|---|---:|---:|',
    '| keep-alive 1 KB req/s | 23,744 | 4,778 | 8,350 | 1.75, 1.63, 1.76 (**median 1.75×**) | 0.20× | 0.35× |',
    '| keep-alive 64 KB req/s | 9,361 | 2,133 | 3,107 | 1.45, 1.46, 1.50 (median 1.46×) | 0.23× | 0.33× |',
    '| 3 MB throughput (MB/s) | 741 | 292 | 296 | 1.01, 1.00, 1.05 | 0.39× | 0.40× |',
    '| handshakes/s (measured)¹ | 507 | 341 | 340 | 1.01, 1.00, 0.99 | 0.68× | 0.68× |',
    '| 1 KB at 2,389 req/s (all below saturation): p50 / p99 ms | 1.44 / 4.98 | 2.39 / 27.99 | 1.99 / 4.29 | — | | |',
    '| CPU s / 10k requests, 1 KB | 0.23 | 1.70 | 0.95 | — | | |',
    '',
    '¹ Then the load generators also verified the server\'s certificate, which made them the bottleneck for nginx (nginx\'s core ≈ 65 % busy; "CPU 1 can do": 735 vs 348 / 344, 0.47×). Not comparable with table 1\'s handshake row, where they no longer do.',
    '',
  );
}

export function writeReport(dir, meta, runs) {
  const m = meta.machine;
  const L = [];
  L.push('# hubgate benchmark results', '');
  L.push(`Generated by \`npm run bench\` (bench/run.mjs) on **${meta.date}** in ${meta.runtimeSeconds} s. Raw per-run numbers: [results.json](results.json). Chart: [results.svg](results.svg).`, '');
  L.push('![hubgate vs nginx](results.svg)', '');
  L.push('Where the time goes — profiles, and bare Node processes as the floor a Node gateway can reach here: [PROFILE.md](PROFILE.md) (`npm run bench -- --profile`). How the forwarding engine was chosen: [below](#forwarding-engine-decision-measured-before-the-switch) and [docs/decisions/0001-forwarding-engine.md](../docs/decisions/0001-forwarding-engine.md).', '');
  headline(runs, L);
  L.push('## Machine', '');
  L.push(`- CPU: ${m.model}${m.mhz ? ` @ ${Number(m.mhz).toFixed(0)} MHz` : ''}, \`nproc\` = ${m.nproc}, AES-NI ${m.aesni ? 'yes' : 'no'}, AVX2 ${m.avx2 ? 'yes' : 'no'}; Linux ${m.kernel}`);
  L.push(`- Memory (\`free -m\`):`, '', '```', m.free, '```', '');
  L.push(`- ${meta.nginx}; ${meta.openssl}; Node ${meta.node}; hubgate ${meta.git} (undici forwarder, buffered request log)`, '');
  L.push('## Method', '');
  L.push(
    `- One test PKI (\`hubgate dev-pki\`: ECDSA P-256 root → intermediate → client leaf \`CN=client.webhooks.fbclientcerts.com\`, sent with its intermediate; localhost server certificate), one recording upstream (node:http on loopback, answers 200 with 11 bytes, re-verifies the HMAC of 1 request in 256: ${meta.upstream.hmacChecked} re-verified, **${meta.upstream.hmacBad} bad**, ${meta.upstream.requests.toLocaleString('en-US')} requests in total).`,
    '- Targets: **(a)** the upstream directly over plaintext; **(b)** nginx with Meta\'s recipe — `ssl_verify_client on; ssl_client_certificate root; ssl_verify_depth 3; if ($ssl_client_s_dn !~ "CN=client.webhooks.fbclientcerts.com") { return 403; }`, `proxy_pass` to an `upstream` block with `keepalive 64`, HTTP/1.1 to the upstream, access log on; `keepalive_requests` raised and `client_body_buffer_size 4m` so nginx neither closes keep-alive connections every 1000 requests nor spills bodies to temp files (the strongest nginx, not a default one); **(c)** hubgate `workers: 1`, as shipped (`hubgate serve` from `dist/`, undici forwarder)' +
      `; **(d)** hubgate \`workers: auto\`${meta.clusterWorks ? ` (${meta.hubgateAutoProcesses} processes)` : ' — **not measured: `workers: auto` was not implemented in `hubgate serve` at the time of this run (it ran one process); the harness runs (d) as soon as serve forks workers**'}.`,
    `- hubgate logs at \`log.level: ${meta.logLevel}\` — one JSON line per request, as in production, buffered (pino, 4 KiB / 250 ms) — to a file; nginx writes its access log to a file.`,
    '- Load generator: bench/lib/loadgen.mjs, a small HTTP/1.1 client on raw node:tls sockets that presents the client certificate and key (ECDSA), sends prebuilt requests (WhatsApp-shaped JSON padded to size, `X-Hub-Signature-256` = real HMAC-SHA256 with the app secret, so hubgate does its full work), keeps connections alive and parses responses just enough to frame them. Same bytes, concurrency and duration for every target.',
    `- Scenarios: handshakes (new TLS 1.3 connection per 1 KB POST, no resumption, 64 connections over 4 generator processes); keep-alive POST 1 KB and 64 KB (50 connections) and 3 MB (8 connections), closed loop; 1 KB at half of nginx's 1 KB peak of the same round, and at half of the slowest proxy's peak (so no target is saturated), open loop (latency from the intended send time, so queueing is counted). Handshakes: the generators present the client certificate but do not verify the server's (Node's \`getPeerCertificate(true)\` + \`checkServerIdentity\` were over half of the client's CPU per handshake), so 4 generator processes on CPU 0 can keep CPU 1 busy; the CPU table below shows how busy each side was, and "CPU 1 can do" = measured rate ÷ the fraction of CPU 1 that target + upstream used is a cross-check for a target the generators do not quite saturate. Each run: ${meta.warmupSeconds} s warm-up + ${meta.measureSeconds} s measured; only 2xx responses count.`,
    `- Interleaving: ${meta.rounds} rounds (table 1) / ${meta.roundsAuto} (table 2); in each round every scenario runs against every target back to back, target order rotated per round. Ratios to nginx are computed per round and the **median** is shown with the range. Absolute numbers are medians over rounds.`,
    '- CPU: utime+stime from `/proc/PID/stat` of the target and all its descendants (nginx master+workers; hubgate primary+workers), sampled at the start and end of the measured window; peak RSS: `VmHWM` reset through `/proc/PID/clear_refs` at the start of each window, summed over the process tree.',
    '- Table 1 pins with `taskset`: load generator(s) CPU 0; target and upstream CPU 1 (so the upstream\'s cost is in every target\'s budget, as on a one-core host). Table 2: nothing pinned.',
    '- The machine is not otherwise isolated: anything else running during the run (other builds, tests) lands on some rounds; interleaving spreads it over all targets, and the per-round ranges show how much it moved.',
    '',
  );
  L.push('## Table 1 — per core', '');
  throughputTable(runs, 'per-core', L);
  L.push('', '### Latency, 1 KB keep-alive, at half of nginx\'s peak (the target)', '');
  latencyTable(runs, 'per-core', L);
  L.push('', '### Latency, 1 KB keep-alive, at half of the slowest proxy\'s peak (every target below saturation)', '');
  latencyTable(runs, 'per-core', L, 'lat1kLow');
  L.push('', '### Cost', '');
  costTable(runs, 'per-core', L);
  L.push('', '### CPU use during each scenario (median over rounds; 100 % = one core)', '');
  L.push('Handshakes are server-bound when target + upstream CPU ≈ 100 % of CPU 1 while the generators on CPU 0 have headroom.', '');
  cpuTable(runs, 'per-core', L);
  L.push('', '## Table 2 — workers: auto vs nginx worker_processes auto (unpinned)', '');
  if (!meta.clusterWorks) L.push('**(d) not measured**: `hubgate serve` ran `workers: auto` as a single process at the time of this run. nginx `auto` and the direct upstream are still measured, so the table fills in when (d) lands.', '');
  throughputTable(runs, 'auto', L);
  L.push('');
  latencyTable(runs, 'auto', L);
  L.push('');
  costTable(runs, 'auto', L);
  L.push('');
  engineDecision(L);
  writeFileSync(join(dir, 'RESULTS.md'), L.join('\n'));
  writeFileSync(join(dir, 'results.svg'), renderSvg(meta, runs));
}
