// `npm run bench -- --profile`: where hubgate's time goes. A floor table without a profiler
// (nginx, nginx + njs, bare Node processes, hubgate with log info / silent, pinned like table 1),
// then hubgate (workers: 1) under `node --cpu-prof` for 1 KB keep-alive, handshakes and 3 MB,
// summarised as self time per function and per package into PROFILE.md.
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as T from './targets.mjs';
import { runOne, startTargets, stopTargets, table } from './measure.mjs';
import { summarise } from './cpuprofile-top.mjs';

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/** The same 1 KB keep-alive and handshake loads against nginx, nginx + njs, hubgate (info and
 *  silent logging) and bare Node processes doing only the TLS termination or the proxying. */
export async function floorTable(ctx, rounds) {
  const ports = await T.freePorts(8);
  const specs = [
    { name: 'nginx, 1 worker', kind: 'nginx', workers: 1, cpus: '1', port: ports[0] },
    { name: 'nginx + njs HMAC, 1 worker', kind: 'njs', workers: 1, cpus: '1', port: ports[7] },
    { name: 'bare node:https, answers itself', kind: 'bare', mode: 'respond', cpus: '1', port: ports[1] },
    { name: 'bare node:https → undici proxy', kind: 'bare', mode: 'undici', cpus: '1', port: ports[2] },
    { name: 'hubgate, log info', kind: 'hubgate', logLevel: 'info', workers: 1, cpus: '1', port: ports[3], adminPort: ports[4] },
    { name: 'hubgate, log silent', kind: 'hubgate', logLevel: 'silent', workers: 1, cpus: '1', port: ports[5], adminPort: ports[6] },
  ];
  const targets = await startTargets(ctx, specs);
  const { runs } = await table(ctx, targets, { rounds, pinned: true, label: 'floor', only: ['ka1k', 'hs'] });
  await stopTargets(targets);
  return runs;
}

/** hubgate (workers: 1, pinned like table 1) under node --cpu-prof, one process per scenario. */
export async function profileRuns(ctx) {
  const sections = [];
  for (const scName of ['ka1k', 'hs', 'ka3m']) {
    const dir = join(ctx.work, `prof-${scName}`);
    const [port, adminPort] = await T.freePorts(2);
    const [t] = await startTargets(ctx, [{ name: `hubgate-prof-${scName}`, kind: 'hubgate', workers: 1, cpus: '1', port, adminPort, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] }]);
    await runOne(ctx, t, 'ka1k', { pinned: true });
    const res = await runOne(ctx, t, scName, { pinned: true });
    const res2 = await runOne(ctx, t, scName, { pinned: true });
    await T.stop(t.proc);
    const files = readdirSync(dir).map((f) => join(dir, f)).sort((x, y) => statSync(y).size - statSync(x).size);
    const summary = summarise(JSON.parse(readFileSync(files[0], 'utf8')), 30);
    ctx.say(`profile ${scName}: ${res.rps.toFixed(0)} / ${res2.rps.toFixed(0)} /s under the profiler; ${files[0]}${ctx.keep ? '' : ' (removed at the end: --keep keeps it)'}`);
    sections.push({ scenario: scName, rps: (res.rps + res2.rps) / 2, usPerReq: (res.targetUsPerReq + res2.targetUsPerReq) / 2, summary });
  }
  return sections;
}

function floorLines(runs) {
  const names = [...new Set(runs.map((r) => r.target))];
  const lines = [
    '## Where the time goes, per core, no profiler',
    '',
    'Same loads and pinning as table 1 (generators on CPU 0; target + upstream on CPU 1), targets interleaved; median over rounds, ratio to nginx per round. "nginx + njs" is target (b′) of RESULTS.md: the same HMAC check as hubgate. "Bare" processes are bench/lib/bare-proxy.mjs on hubgate\'s runtime: node:https with hubgate\'s mTLS options doing nothing but answering or forwarding with undici (no checks, no log, no metrics) — the floor of a node:https gateway on this machine. "log silent" is hubgate with `log.level: silent`: the difference to "log info" is what the request log costs.',
    '',
  ];
  for (const [sc, title, unit] of [['ka1k', 'Keep-alive 1 KB signed POST', 'req'], ['hs', 'New mTLS connection per 1 KB POST (handshakes)', 'conn']]) {
    const rows = runs.filter((r) => r.scenario === sc);
    if (!rows.length) continue;
    lines.push(`### ${title}`, '', `| target | ${unit}/s | ÷ nginx | target CPU % | target CPU µs / ${unit} |`, '|---|---:|---:|---:|---:|');
    for (const n of names) {
      const rs = rows.filter((r) => r.target === n);
      if (!rs.length) continue;
      const ratios = rs.map((r) => r.rps / rows.find((x) => x.round === r.round && x.kind === 'nginx').rps);
      lines.push(`| ${n} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${median(ratios).toFixed(2)}× | ${median(rs.map((r) => r.targetCpuPct)).toFixed(0)} | ${median(rs.map((r) => r.targetUsPerReq)).toFixed(0)} |`);
    }
    lines.push('');
  }
  return lines;
}

export function writeProfile(out, meta, sections, floor) {
  mkdirSync(out, { recursive: true });
  const lines = [
    `# hubgate CPU profile — workers: 1 on CPU 1 (with the upstream), log level ${meta.logLevel}`,
    '',
    `Generated by \`npm run bench -- --profile\` on ${meta.date} in ${meta.runtimeSeconds} s, hubgate ${meta.git} on Node ${meta.hubgateNode}. Self time per function from \`node --cpu-prof\`. Wall-clock sampling: \`(idle)\` is the event loop's poll phase — waiting while the upstream runs on the same core, *and* native work done inside I/O callbacks before any JavaScript runs (TLS record decryption, handshakes); time in \`writev\`/\`writeString\` includes the kernel's loopback send and the upstream being woken on this core.`,
    '',
  ];
  lines.push(...floorLines(floor));
  for (const s of sections) {
    const what = { hs: 'new mTLS connection per 1 KB POST (handshakes)', ka1k: '1 KB keep-alive POST', ka3m: '3 MB keep-alive POST' }[s.scenario];
    lines.push(`## ${what} — ${s.rps.toFixed(0)}/s under the profiler, ${s.usPerReq.toFixed(0)} CPU µs per ${s.scenario === 'hs' ? 'connection' : 'request'}`, '', '| self % | self ms | function |', '|---:|---:|---|');
    for (const f of s.summary.functions) lines.push(`| ${f.pct} | ${f.ms} | \`${f.name}\` |`);
    lines.push('', '| self % | by area (package / module) |', '|---:|---|');
    for (const f of s.summary.areas) lines.push(`| ${f.pct} | \`${f.name}\` |`);
    lines.push('');
  }
  writeFileSync(join(out, 'PROFILE.md'), lines.join('\n'));
}
