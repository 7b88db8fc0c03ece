// The tables of RESULTS.md, one function per table; each pushes Markdown lines onto L.
import { ROWS, BARS, fmt, median, paired, ratioText, verdict, view } from './report-data.mjs';

const short = (n) => n.replace(/^\(\S+\) /, '');

/** Scenario rows × targets, then each proxy ÷ nginx and hubgate ÷ nginx + njs, per round. */
export function throughputTable(result, table, L) {
  const v = view(result, table);
  const ratioCols = [...v.names.filter((n) => v.kindOf(n) === 'njs').map((n) => [n, 'nginx']), ...v.hubgates.flatMap((n) => [[n, 'nginx'], [n, 'njs']])];
  L.push(`| scenario | ${v.names.join(' | ')} | ${ratioCols.map(([n, k]) => `${short(n)} ÷ ${k === 'njs' ? 'nginx + njs' : 'nginx'}`).join(' | ')} |`);
  L.push(`|---|${v.names.map(() => '---:').join('|')}|${ratioCols.map(() => '---:').join('|')}|`);
  for (const row of ROWS) {
    if (!v.names.some((n) => v.cell(n, row.s))) continue;
    const vals = v.names.map((n) => {
      const c = v.cell(n, row.s);
      if (!c) return 'n/a';
      const x = row.metric === 'mbps' ? `${fmt(c.mbps, 0)} MB/s` : fmt(c.rps, 0);
      return c.failed ? `${x} ⚠ ${c.failed} failed` : x;
    });
    const ratios = ratioCols.map(([n, k]) => {
      const r = ratioText(result, table, row.s, n, k, row.metric);
      const bar = v.kindOf(n) === 'hubgate' && table === 'per-core' ? (k === 'njs' ? row.vsNjs : row.vsNginx) : undefined;
      return r.m === null ? '—' : `${r.text}${bar === undefined ? '' : verdict(r.m >= bar)}`;
    });
    L.push(`| ${row.what} | ${vals.join(' | ')} | ${ratios.join(' | ')} |`);
    if (table === 'per-core' && (row.s === 'hs' || row.s.startsWith('rs'))) {
      const caps = v.names.map((n) => fmt(v.cell(n, row.s)?.capacity, 0));
      const capRatios = ratioCols.map(([n, k]) => ratioText(result, table, row.s, n, k, 'capacity').text);
      L.push(`| ↳ what CPU 1 can do (rate ÷ CPU 1 busy) | ${caps.join(' | ')} | ${capRatios.join(' | ')} |`);
    }
  }
}

/** Resumed handshakes: the rate each target resumed at, as the client saw it, and its CPU per
 *  connection — a target that fails to resume shows a low rate, not just a slower row. */
export function resumptionTable(result, table, L) {
  const v = view(result, table);
  L.push('| scenario | target | conn/s | resumed (client saw) | negotiated | target CPU µs / conn | of which master / primary | upstream µs / conn | ÷ nginx CPU µs / conn |');
  L.push('|---|---|---:|---:|---|---:|---:|---:|---:|');
  for (const s of ['rs13', 'rs12', 'hs']) {
    for (const n of v.names) {
      const c = v.cell(n, s);
      if (!c) continue;
      const rate = s === 'hs' ? '— (none offered)' : `${fmt(100 * c.resumptionRate, 1)} %${verdict(c.resumptionRate >= BARS.resumptionRate)}`;
      const neg = c.negotiated ? `${c.negotiated.protocol} ${c.negotiated.cipher}` : '—';
      const vs = c.kind === 'nginx' ? '1.00×' : ratioText(result, table, s, n, 'nginx', 'targetUsPerReq').text;
      L.push(`| ${s} | ${n} | ${fmt(c.rps, 0)} | ${rate} | ${neg} | ${fmt(c.targetUsPerReq, 0)} | ${v.memory(n)?.processes > 1 ? fmt(c.rootUsPerReq, 0) : '(one process)'} | ${fmt(c.upstreamUsPerReq, 0)} | ${vs} |`);
    }
  }
}

/** Proxy CPU µs per request (the target's own process tree) per scenario, and memory. */
export function costTable(result, table, L) {
  const v = view(result, table);
  const scen = ROWS.filter((r) => v.names.some((n) => v.cell(n, r.s)));
  L.push(`| target | ${scen.map((r) => `${r.s}: CPU µs / ${r.s === 'hs' || r.s.startsWith('rs') ? 'conn' : 'req'}`).join(' | ')} | upstream µs / req (ka1k) | processes | RSS at start MiB | RSS idle MiB (after warm-up + 2 s) | of which anonymous / file-backed | RSS peak at 1 KB MiB | RSS peak, any scenario |`);
  L.push(`|---|${scen.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---:|---:|`);
  for (const n of v.names) {
    const m = v.memory(n);
    const peakAny = Math.max(0, ...scen.map((r) => v.cell(n, r.s)?.peakRssMiB ?? 0));
    const direct = v.kindOf(n) === 'direct';
    L.push(
      `| ${n} | ${scen.map((r) => fmt(v.cell(n, r.s)?.targetUsPerReq, 0)).join(' | ')} | ${direct ? '(is the target)' : fmt(v.cell(n, 'ka1k')?.upstreamUsPerReq, 0)} | ${m?.processes ?? '—'} | ${fmt(m?.rssStartMiB, 0)} | ${fmt(m?.rssIdleMiB, 0)} | ${fmt(m?.rssIdleAnonMiB, 0)} / ${fmt(m?.rssIdleFileMiB, 0)} | ${fmt(v.cell(n, 'ka1k')?.peakRssMiB, 0)} | ${peakAny ? fmt(peakAny, 0) : '—'} |`,
    );
  }
}

/** p50/p99 at one offered load every proxy carries (½ of the slowest proxy's 1 KB peak). */
export function latencyTable(result, table, L) {
  const v = view(result, table);
  const c0 = v.names.map((n) => v.cell(n, 'lat1k')).find(Boolean);
  if (!c0) return;
  L.push(`Offered load: ${fmt(c0.rate, 0)} req/s (median over rounds; each round: ½ of the slowest proxy's 1 KB keep-alive peak in that round), open loop over 50 connections, latency from the intended send time (queueing counted).`, '');
  const saturated = v.names.filter((n) => {
    const c = v.cell(n, 'lat1k');
    return c?.rate && c.rps < 0.95 * c.rate;
  });
  if (saturated.length) L.push(`⚠ ${saturated.map((n) => `${n} completed only ${fmt(v.cell(n, 'lat1k').rps, 0)} req/s`).join('; ')}: saturated after all — its latency is queueing time, not a steady-state figure.`, '');
  L.push('| target | completed req/s | p50 ms | p99 ms | p99 − nginx\'s p99, per round (median) |', '|---|---:|---:|---:|---:|');
  for (const n of v.names) {
    const c = v.cell(n, 'lat1k');
    if (!c) continue;
    const d = v.kindOf(n) === 'nginx' || v.kindOf(n) === 'direct' ? null : median(paired(result, table, 'lat1k', n, 'nginx', 'p99', true));
    const bar = v.kindOf(n) === 'hubgate' && table === 'per-core' ? verdict(d <= BARS.p99OverNginxMs) : '';
    L.push(`| ${n} | ${fmt(c.rps, 0)} | ${fmt(c.p50, 2)} | ${fmt(c.p99, 2)} | ${d === null ? '' : `**${d >= 0 ? '+' : ''}${fmt(d, 2)} ms**${bar}`} |`);
  }
}

/** Pinned: who set the pace of a closed-loop row. CPU 1 near full with the target + upstream on
 *  it: the server side (the measurement we want). CPU 0 full: the generators. Neither, with much
 *  CPU not ours: the rest of the machine got in the way (a noisy row). */
export function pacedBy(c, s) {
  if (s === 'lat1k') return 'offered load';
  if (c.cpu1BusyPct >= 90) return 'server side (CPU 1)';
  if (c.cpu1AllPct >= 90) return `**CPU 1 shared**: ${fmt(c.cpu1AllPct - c.cpu1BusyPct, 0)} % of it not ours`;
  if (c.cpu0AllPct >= 90) return `**load generators** (CPU 0 full${c.cpu0AllPct - c.loadgenCpuPct >= 10 ? `, ${fmt(c.cpu0AllPct - c.loadgenCpuPct, 0)} % of it not ours` : ''}): compare CPU µs per request`;
  return c.otherCpuPct >= 20 ? `**neither saturated**, ${fmt(c.otherCpuPct, 0)} % of a core not ours: noisy` : 'neither saturated (round trips)';
}

/** How busy each side was: the check that the load generator did not set the pace. */
export function cpuTable(result, table, L) {
  const v = view(result, table);
  const pinned = table === 'per-core';
  L.push(`| scenario | target | target CPU % | upstream CPU % | load generator CPU % | not ours: other processes + steal, CPU % |${pinned ? ' CPU 0 busy, all % | CPU 1 busy, all % | paced by |' : ''}`);
  L.push(`|---|---|---:|---:|---:|---:|${pinned ? '---:|---:|---|' : ''}`);
  for (const row of [...ROWS, { s: 'lat1k' }]) {
    for (const n of v.names) {
      const c = v.cell(n, row.s);
      if (!c) continue;
      L.push(`| ${row.s} | ${n} | ${fmt(c.targetCpuPct, 0)} | ${c.kind === 'direct' ? '(is the target)' : fmt(c.upstreamCpuPct, 0)} | ${fmt(c.loadgenCpuPct, 0)} | ${fmt(c.otherCpuPct, 0)} |${pinned ? ` ${fmt(c.cpu0AllPct, 0)} | ${fmt(c.cpu1AllPct, 0)} | ${pacedBy(c, row.s)} |` : ''}`);
    }
  }
}

export function gcSection(result, L) {
  const g = result.gc;
  if (!g) {
    L.push('Not measured in this run (`--skip-gc`).', '');
    return;
  }
  L.push(
    `hubgate \`workers: 1\` (pinned as in table 1) under \`node --trace-gc\`, ${g.seconds} s of 1 KB keep-alive POSTs at full speed (50 connections, closed loop) after a warm-up run: ${fmt(g.rps, 0)} req/s, p99 ${fmt(g.p99, 2)} ms, ${fmt(g.targetUsPerReq, 0)} CPU µs / request, peak RSS ${fmt(g.peakRssMiB, 0)} MiB${g.failed ? `, ⚠ ${g.failed} failed` : ''}. Pauses are V8's main-thread pause per collection inside the measured window; incremental marking steps are listed separately.`,
    '',
    `- **longest pause ${fmt(g.maxPauseMs, 2)} ms**, ${g.over} over ${g.thresholdMs} ms${verdict(g.over === 0 && g.maxIncrementalStepMs <= g.thresholdMs)} (bar: none over ${g.thresholdMs} ms); 99th percentile pause ${fmt(g.p99PauseMs, 2)} ms`,
    `- ${g.collections} collections, ${fmt(g.totalPauseMs, 0)} ms paused in total (${fmt((100 * g.totalPauseMs) / (g.seconds * 1000), 1)} % of the run); longest incremental-marking step ${fmt(g.maxIncrementalStepMs, 2)} ms (${g.stepsOver} over ${g.thresholdMs} ms)`,
    '',
    '| kind | count | total ms | max ms | over 5 ms |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(g.byKind).map(([k, x]) => `| ${k} | ${x.count} | ${fmt(x.totalMs, 1)} | ${fmt(x.maxMs, 2)} | ${x.over} |`),
    '',
  );
}
