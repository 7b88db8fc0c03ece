#!/usr/bin/env node
// `npm run bench`: hubgate against nginx running Meta's mTLS recipe, side by side, in one run.
//
// One PKI, one recording upstream, one load generator (bench/lib/loadgen.mjs), the same request
// bytes (bodies signed with a real HMAC), concurrency and duration for every target, targets
// interleaved round by round so drift hits all alike. Ratios to nginx are computed per round (the
// pair of runs next to each other), then the median is reported. See bench/README.md.
//
//   node bench/run.mjs [--rounds N] [--seconds S] [--quick] [--profile] [--out DIR]
//
// Targets: (a) the upstream directly, (b) nginx with Meta's recipe, (c) hubgate workers: 1,
// (d) hubgate workers: auto.
// Table 1 (per core): load generator on CPU 0, target + upstream on CPU 1, one worker each.
// Table 2: hubgate workers:auto vs nginx worker_processes auto, nothing pinned.
// --profile: instead, a floor table (nginx, bare Node processes, hubgate with log info/silent)
//   and hubgate (workers:1) under the 1 KB, 3 MB and handshake loads with node --cpu-prof,
//   summarised as self time per function (bench/PROFILE.md).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, rmSync, existsSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { processTree, cpuSeconds, resetPeakRss, peakRssMiB, machineDescription } from './lib/proc.mjs';
import * as T from './lib/targets.mjs';
import { writeReport } from './lib/report.mjs';
import { summarise } from './lib/cpuprofile-top.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? dflt : argv[i + 1];
};
const QUICK = flag('quick');
const ROUNDS = Number(option('rounds', QUICK ? 1 : 3));
const ROUNDS_AUTO = Number(option('rounds-auto', QUICK ? 1 : 2));
const MEASURE_MS = Number(option('seconds', QUICK ? 1.5 : 2.5)) * 1000;
const WARMUP_MS = QUICK ? 500 : 1000;
const OUT = resolve(option('out', join(ROOT, 'bench')));
const LOG_LEVEL = option('log-level', 'info'); // production's level: the request log is part of the cost
const SECRET = 'bench-app-secret';
const T0 = Date.now();
const elapsed = () => `${((Date.now() - T0) / 1000).toFixed(0)}s`;
const say = (msg) => process.stdout.write(`[${elapsed()}] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Prerequisites: nginx from Debian packages, taskset, a built dist/.

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

function ensureNginx() {
  if (T.nginxBinary()) return;
  if (process.getuid?.() !== 0) throw new Error('nginx is not installed and this is not root: apt-get install -y nginx-light (or run as root)');
  say('nginx missing: installing from Debian packages');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const candidate = (pkg) => /Candidate: (?!\(none\))\S+/.test(spawnSync('apt-cache', ['policy', pkg], { encoding: 'utf8' }).stdout ?? '');
  if (!candidate('nginx-light') && !candidate('nginx')) {
    say('no nginx candidate in the package lists: apt-get update');
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  }
  const pkg = candidate('nginx-light') ? 'nginx-light' : 'nginx';
  // The package's postinst would start a system nginx on :80 (invoke-rc.d). The benchmark runs
  // its own nginx processes from generated configs, so forbid service starts during the install
  // (policy-rc.d exit 101, Debian's mechanism for this) unless the machine already has a policy.
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy) writeFileSync(POLICY_RC_D, '#!/bin/sh\n# temporary, written by hubgate bench/run.mjs during apt-get install nginx\nexit 101\n', { mode: 0o755 });
  let r;
  try {
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env });
  } finally {
    if (ownPolicy) unlinkSync(POLICY_RC_D);
  }
  if (r.status !== 0 || !T.nginxBinary()) throw new Error(`apt-get install ${pkg} failed`);
}

function ensureTaskset() {
  if (spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status !== 0) throw new Error('taskset not found (Debian: apt-get install util-linux)');
}

// ---------------------------------------------------------------------------------------------
// Requests: a WhatsApp-shaped JSON body padded to size, signed like Meta signs it.

function metaBody(size) {
  const envelope = {
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' }, messages: [{ from: '16315551181', id: 'wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', timestamp: '1749416383', type: 'text', text: { body: '' } }] } }] }],
  };
  const bare = Buffer.byteLength(JSON.stringify(envelope));
  envelope.entry[0].changes[0].value.messages[0].text.body = 'x'.repeat(Math.max(0, size - bare));
  const body = Buffer.from(JSON.stringify(envelope));
  if (body.length !== size) throw new Error(`body ${body.length} != ${size}`);
  return body;
}

function requestBytes(path, body, close) {
  const sig256 = createHmac('sha256', SECRET).update(body).digest('hex');
  const sig1 = createHmac('sha1', SECRET).update(body).digest('hex');
  const head =
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: facebookexternalua\r\nAccept: */*\r\n` +
    `Content-Type: application/json\r\nX-Hub-Signature: sha1=${sig1}\r\nX-Hub-Signature-256: sha256=${sig256}\r\n` +
    `Content-Length: ${body.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

// ---------------------------------------------------------------------------------------------
// Scenarios. `procs`: load generator processes (connections split between them).

const SIZES = { '1k': 1024, '64k': 64 * 1024, '3m': 3 * 1024 * 1024 };
const SCENARIOS = {
  hs: { label: 'handshakes/s (new mTLS connection per 1 KB POST)', mode: 'hs', size: '1k', close: true, connections: 64, procs: 4, tlsOnly: true },
  ka1k: { label: 'keep-alive 1 KB POST req/s', mode: 'ka', size: '1k', connections: 50, procs: 1 },
  lat1k: { label: '1 KB at ½ nginx peak: latency', mode: 'rate', size: '1k', connections: 50, procs: 1, rateOf: 'nginx' },
  lat1kLow: { label: '1 KB at ½ the slowest proxy\'s peak: latency', mode: 'rate', size: '1k', connections: 50, procs: 1, rateOf: 'slowest', perCoreOnly: true },
  ka64k: { label: 'keep-alive 64 KB POST req/s', mode: 'ka', size: '64k', connections: 50, procs: 1 },
  ka3m: { label: 'keep-alive 3 MB POST MB/s', mode: 'ka', size: '3m', connections: 8, procs: 1 },
};

function requestFile(work, target, sc) {
  const path = target.kind === 'direct' ? '/hook' : '/webhooks/bench';
  const file = join(work, 'requests', `${target.kind === 'direct' ? 'direct' : 'proxy'}-${sc.size}${sc.close ? '-close' : ''}.bin`);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, requestBytes(path, metaBody(SIZES[sc.size]), sc.close));
  }
  return file;
}

/** Live load generator processes, stopped by PID if the run is interrupted. */
const GENERATORS = new Set();

/** One measured run: load generators + /proc samples of target, upstream and generators. */
async function runOne(ctx, target, scName, { rate, pinned }) {
  const sc = SCENARIOS[scName];
  const procs = pinned ? sc.procs : Math.max(sc.procs, 2);
  const startAt = Date.now() + 400;
  const base = {
    mode: sc.mode,
    host: '127.0.0.1',
    port: target.port,
    tls: target.kind === 'direct' ? null : { cert: `${ctx.pki}/client.crt`, key: `${ctx.pki}/client.key`, ca: `${ctx.pki}/root.crt` },
    requestFile: requestFile(ctx.work, target, sc),
    startAt,
    warmupMs: WARMUP_MS,
    durationMs: MEASURE_MS,
  };
  const gens = [];
  for (let i = 0; i < procs; i++) {
    const share = Math.floor(sc.connections / procs) + (i < sc.connections % procs ? 1 : 0);
    const o = { ...base, connections: share, rate: rate ? rate / procs : undefined };
    const file = pinned ? 'taskset' : process.execPath;
    const args = [...(pinned ? ['-c', '0', process.execPath] : []), join(ROOT, 'bench/lib/loadgen.mjs'), JSON.stringify(o)];
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    GENERATORS.add(child);
    child.on('exit', () => GENERATORS.delete(child));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    gens.push({ child, done: new Promise((r) => child.on('exit', () => r(out))) });
  }
  const targetTree = () => processTree(target.proc.pid);
  const sample = () => ({ target: cpuSeconds(targetTree()), upstream: cpuSeconds(processTree(ctx.upstream.pid)), gens: cpuSeconds(gens.map((g) => g.child.pid)) });
  await sleep(startAt + WARMUP_MS - Date.now());
  const rssResetOk = resetPeakRss(targetTree());
  const a = sample();
  const t1 = performance.now();
  await sleep(startAt + WARMUP_MS + MEASURE_MS - Date.now() - 5);
  const b = sample();
  const seconds = (performance.now() - t1) / 1000;
  const rss = peakRssMiB(targetTree());
  const results = (await Promise.all(gens.map((g) => g.done))).map((s) => JSON.parse(s.trim().split('\n').pop()));
  const completed = results.reduce((n, r) => n + r.completed, 0);
  const failed = results.reduce((n, r) => n + r.failed + r.errors, 0);
  const weighted = (k) => {
    const n = results.reduce((s, r) => s + (r[k] === null ? 0 : r.completed), 0);
    return n ? results.reduce((s, r) => s + (r[k] ?? 0) * r.completed, 0) / n : null;
  };
  const total = completed + failed;
  const rps = completed / (MEASURE_MS / 1000);
  return {
    target: target.name,
    scenario: scName,
    rps,
    mbps: (rps * SIZES[sc.size]) / 1e6,
    completed,
    failed,
    statuses: results.map((r) => r.statuses),
    p50: weighted('p50'),
    p99: procs === 1 ? results[0].p99 : Math.max(...results.map((r) => r.p99 ?? 0)),
    rate: rate ?? null,
    targetCpuPct: (100 * (b.target - a.target)) / seconds,
    upstreamCpuPct: (100 * (b.upstream - a.upstream)) / seconds,
    loadgenCpuPct: (100 * (b.gens - a.gens)) / seconds,
    cpuSecPer10k: total ? ((b.target - a.target) / total) * 10_000 : null,
    // Handshakes: the generators on one core cannot always saturate the server's core (TLS costs
    // the client about what it costs the server), so also report what CPU 1 could do if it were
    // saturated: measured rate ÷ fraction of CPU 1 busy (target + upstream, both pinned there).
    capacity: pinned && sc.mode === 'hs' ? (rps * 100) / Math.max(1, ((b.target - a.target) + (b.upstream - a.upstream)) * 100 / seconds) : null,
    peakRssMiB: rssResetOk ? rss : null,
  };
}

// ---------------------------------------------------------------------------------------------

async function startTargets(ctx, specs) {
  const out = [];
  for (const s of specs) {
    let proc;
    if (s.kind === 'nginx') proc = T.startNginx({ name: s.name, work: ctx.work, pki: ctx.pki, port: s.port, upstreamPort: ctx.upstreamPort, workers: s.workers, cpus: s.cpus });
    else if (s.kind === 'bare') proc = T.startBare({ name: s.name, work: ctx.work, pki: ctx.pki, port: s.port, upstreamPort: ctx.upstreamPort, mode: s.mode, cpus: s.cpus });
    else if (s.kind === 'hubgate')
      proc = T.startHubgate({ name: s.name, work: ctx.work, root: ROOT, pki: ctx.pki, port: s.port, adminPort: s.adminPort, upstreamPort: ctx.upstreamPort, workers: s.workers, cpus: s.cpus, secret: SECRET, logLevel: s.logLevel ?? LOG_LEVEL, nodeArgs: s.nodeArgs });
    else proc = ctx.upstream;
    if (s.kind !== 'direct') await T.waitForPort(s.port, proc);
    out.push({ ...s, proc });
  }
  await sleep(500);
  for (const t of out) t.processes = processTree(t.proc.pid).length;
  return out;
}

async function stopTargets(targets) {
  for (const t of targets) if (t.kind !== 'direct') await T.stop(t.proc);
}

/** Rounds × scenarios × targets, the target order rotated each round. */
async function table(ctx, targets, { rounds, pinned, label, only }) {
  const runs = [];
  // JIT and pools warm before anything is measured.
  for (const t of targets) await runOne(ctx, t, 'ka1k', { pinned });
  for (let r = 0; r < rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const scName of only ?? Object.keys(SCENARIOS)) {
      const sc = SCENARIOS[scName];
      let rate;
      if (sc.perCoreOnly && !pinned) continue;
      if (sc.mode === 'rate') {
        const peaks = runs.filter((x) => x.round === r && x.scenario === 'ka1k' && x.table === label && (sc.rateOf === 'nginx' ? x.kind === 'nginx' : x.kind !== 'direct'));
        rate = Math.max(100, Math.round((peaks.length ? Math.min(...peaks.map((x) => x.rps)) : 2000) / 2));
      }
      for (const t of order) {
        if (sc.tlsOnly && t.kind === 'direct') continue;
        const res = await runOne(ctx, t, scName, { rate, pinned });
        runs.push({ ...res, round: r, kind: t.kind, table: label });
        say(`${label} r${r + 1} ${scName.padEnd(5)} ${t.name.padEnd(22)} ${res.rps.toFixed(0).padStart(6)} req/s  p50 ${res.p50?.toFixed(2)} p99 ${res.p99?.toFixed(2)} ms  target CPU ${res.targetCpuPct.toFixed(0)}%  upstream ${res.upstreamCpuPct.toFixed(0)}%  loadgen ${res.loadgenCpuPct.toFixed(0)}%${res.failed ? `  FAILED ${res.failed}` : ''}`);
      }
    }
  }
  return runs;
}

/** Where hubgate's time goes, without a profiler: the same 1 KB keep-alive load against nginx,
 *  hubgate (info and silent logging) and bare Node processes doing only the TLS termination or
 *  the proxying (bench/lib/bare-proxy.mjs), all pinned like table 1, interleaved. */
async function floorTable(ctx) {
  const ports = await T.freePorts(7);
  const specs = [
    { name: 'nginx, 1 worker', kind: 'nginx', workers: 1, cpus: '1', port: ports[0] },
    { name: 'bare node:https, answers itself', kind: 'bare', mode: 'respond', cpus: '1', port: ports[1] },
    { name: 'bare node:https → undici proxy', kind: 'bare', mode: 'undici', cpus: '1', port: ports[2] },
    { name: 'hubgate, log info', kind: 'hubgate', logLevel: 'info', workers: 1, cpus: '1', port: ports[3], adminPort: ports[4] },
    { name: 'hubgate, log silent', kind: 'hubgate', logLevel: 'silent', workers: 1, cpus: '1', port: ports[5], adminPort: ports[6] },
  ];
  const targets = await startTargets(ctx, specs);
  const runs = await table(ctx, targets, { rounds: Number(option('rounds', 2)), pinned: true, label: 'floor', only: ['ka1k', 'hs'] });
  await stopTargets(targets);
  return runs;
}

/** hubgate (workers: 1, pinned like table 1) under node --cpu-prof, one process per scenario. */
async function profileMode(ctx) {
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
    say(`profile ${scName}: ${res.rps.toFixed(0)} / ${res2.rps.toFixed(0)} /s under the profiler; ${files[0]}${flag('keep') ? '' : ' (removed at the end: --keep keeps it)'}`);
    sections.push({ scenario: scName, rps: (res.rps + res2.rps) / 2, cpuSecPer10k: (res.cpuSecPer10k + res2.cpuSecPer10k) / 2, summary, file: files[0] });
  }
  return sections;
}

function floorLines(runs) {
  const names = [...new Set(runs.map((r) => r.target))];
  const med = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    const m = Math.floor(v.length / 2);
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  };
  const lines = [
    '## Where the time goes, per core, no profiler',
    '',
    'Same loads and pinning as table 1 (generators on CPU 0; target + upstream on CPU 1), targets interleaved; median over rounds, ratio to nginx per round. "Bare" processes are bench/lib/bare-proxy.mjs: node:https with hubgate\'s mTLS options doing nothing but answering or forwarding with undici (no checks, no log, no metrics) — the floor of a Node gateway on this machine. "log silent" is hubgate with `log.level: silent`: the difference to "log info" is what the request log costs.',
    '',
  ];
  for (const [sc, title, unit] of [['ka1k', 'Keep-alive 1 KB signed POST', 'req'], ['hs', 'New mTLS connection per 1 KB POST (handshakes)', 'conn']]) {
    const rows = runs.filter((r) => r.scenario === sc);
    if (!rows.length) continue;
    lines.push(`### ${title}`, '', `| target | ${unit}/s | ÷ nginx | target CPU % | CPU s / 10k ${unit} (target only) |`, '|---|---:|---:|---:|---:|');
    for (const n of names) {
      const rs = rows.filter((r) => r.target === n);
      if (!rs.length) continue;
      const ratios = rs.map((r) => r.rps / rows.find((x) => x.round === r.round && x.kind === 'nginx').rps);
      lines.push(`| ${n} | ${med(rs.map((r) => r.rps)).toFixed(0)} | ${med(ratios).toFixed(2)}× | ${med(rs.map((r) => r.targetCpuPct)).toFixed(0)} | ${med(rs.map((r) => r.cpuSecPer10k)).toFixed(2)} |`);
    }
    lines.push('');
  }
  return lines;
}

function writeProfile(sections, floor) {
  mkdirSync(OUT, { recursive: true });
  const lines = [`# hubgate CPU profile — workers: 1 on CPU 1 (with the upstream), log level ${LOG_LEVEL}`, '', `Generated by \`npm run bench -- --profile\` on ${new Date().toISOString()} in ${Math.round((Date.now() - T0) / 1000)} s, hubgate ${gitDescription()}, undici forwarder (src/pipeline/forward.ts). Self time per function from \`node --cpu-prof\`. Wall-clock sampling: \`(idle)\` is the event loop's poll phase — waiting while the upstream runs on the same core, *and* native work done inside I/O callbacks before any JavaScript runs (TLS record decryption, handshakes); time in \`writev\`/\`writeString\` includes the kernel's loopback send and the upstream being woken on this core.`, ''];
  lines.push(...floorLines(floor));
  for (const s of sections) {
    const what = { hs: 'new mTLS connection per 1 KB POST (handshakes)', ka1k: '1 KB keep-alive POST', ka3m: '3 MB keep-alive POST' }[s.scenario];
    lines.push(`## ${what} — ${s.rps.toFixed(0)}/s under the profiler, ${s.cpuSecPer10k.toFixed(2)} CPU s / 10k ${s.scenario === 'hs' ? 'connections' : 'requests'}`, '', '| self % | self ms | function |', '|---:|---:|---|');
    for (const f of s.summary.functions) lines.push(`| ${f.pct} | ${f.ms} | \`${f.name}\` |`);
    lines.push('', '| self % | by area (package / module) |', '|---:|---|');
    for (const f of s.summary.areas) lines.push(`| ${f.pct} | \`${f.name}\` |`);
    lines.push('');
  }
  writeFileSync(join(OUT, 'PROFILE.md'), lines.join('\n'));
}

async function main() {
  ensureNginx();
  ensureTaskset();
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/ missing: run `npm run build` first (npm run bench does)');
  const work = mkdtempSync(join(tmpdir(), 'hubgate-bench-'));
  WORK = work;
  try {
    await measure(work);
  } finally {
    const forced = await T.stopAll();
    say(forced.length ? `stopped by PID; had to SIGKILL: ${forced.join(', ')}` : 'every process this run started is stopped (by PID)');
    if (flag('keep')) say(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

function gitDescription() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() || 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  return dirty ? `${head} + uncommitted changes under src/` : head;
}

async function measure(work) {
  const ctx = { work, pki: join(work, 'pki') };
  execFileSync(process.execPath, [join(ROOT, 'bin/hubgate.js'), 'dev-pki', '--out', ctx.pki], { stdio: 'ignore' });
  const ports = await T.freePorts(12);
  ctx.upstreamPort = ports[0];
  ctx.upstream = T.startUpstream(work, ctx.upstreamPort, SECRET, '1');
  await T.waitForPort(ctx.upstreamPort, ctx.upstream);
  say(`work dir ${work}; nginx ${T.nginxBinary()}`);

  if (flag('profile')) {
    const floor = await floorTable(ctx);
    writeProfile(await profileMode(ctx), floor);
    say(`wrote ${join(OUT, 'PROFILE.md')}`);
    return;
  }

  const perCore = [
    { name: '(a) upstream direct', kind: 'direct', port: ctx.upstreamPort },
    { name: '(b) nginx, 1 worker', kind: 'nginx', workers: 1, cpus: '1', port: ports[1] },
    { name: '(c) hubgate, workers: 1', kind: 'hubgate', workers: 1, cpus: '1', port: ports[2], adminPort: ports[3] },
  ];
  let targets = await startTargets(ctx, perCore);
  say(`table 1 (per core): ${ROUNDS} rounds × ${Object.keys(SCENARIOS).length} scenarios × ${targets.length} targets, ${MEASURE_MS / 1000}s each`);
  const runs = await table(ctx, targets, { rounds: ROUNDS, pinned: true, label: 'per-core' });
  await stopTargets(targets);

  // Table 2: workers:auto vs worker_processes auto, nothing pinned.
  T.repin(ctx.upstream, `0-${Number(execFileSync('nproc', { encoding: 'utf8' })) - 1}`);
  const autoSpecs = [
    { name: '(a) upstream direct', kind: 'direct', port: ctx.upstreamPort },
    { name: '(b) nginx, auto', kind: 'nginx', workers: 'auto', port: ports[6] },
    { name: '(d) hubgate, workers: auto', kind: 'hubgate', workers: 'auto', port: ports[7], adminPort: ports[8] },
  ];
  targets = await startTargets(ctx, autoSpecs);
  const hubAuto = targets.find((t) => t.kind === 'hubgate');
  const clusterWorks = hubAuto.processes > 1;
  if (!clusterWorks) {
    say('(d) workers:auto: hubgate ran as a single process (cluster not implemented in serve yet): (d) skipped');
    await T.stop(hubAuto.proc);
    targets = targets.filter((t) => t !== hubAuto);
  }
  say(`table 2 (auto, unpinned): ${ROUNDS_AUTO} rounds × ${targets.length} targets`);
  runs.push(...(await table(ctx, targets, { rounds: ROUNDS_AUTO, pinned: false, label: 'auto' })));
  await stopTargets(targets);

  const upstream = await T.upstreamStats(ctx.upstreamPort);
  const meta = {
    date: new Date().toISOString(),
    machine: machineDescription(),
    node: process.version,
    nginx: spawnSync(T.nginxBinary(), ['-v'], { encoding: 'utf8' }).stderr.trim(),
    openssl: execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim(),
    rounds: ROUNDS,
    roundsAuto: ROUNDS_AUTO,
    measureSeconds: MEASURE_MS / 1000,
    warmupSeconds: WARMUP_MS / 1000,
    logLevel: LOG_LEVEL,
    clusterWorks,
    hubgateAutoProcesses: hubAuto.processes,
    upstream,
    scenarios: SCENARIOS,
    runtimeSeconds: Math.round((Date.now() - T0) / 1000),
    git: gitDescription(),
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'results.json'), JSON.stringify({ meta, runs }, null, 1) + '\n');
  writeReport(OUT, meta, runs);
  say(`wrote ${join(OUT, 'RESULTS.md')}, results.svg, results.json (upstream saw ${upstream.requests} requests, ${upstream.hmacChecked} re-verified, ${upstream.hmacBad} bad)`);
}

let WORK = null;
let exiting = false;
async function shutdown(code) {
  if (exiting) return;
  exiting = true;
  for (const g of GENERATORS) {
    try {
      process.kill(g.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  await T.stopAll();
  if (code !== 0 && WORK && !flag('keep') && existsSync(WORK)) rmSync(WORK, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));
main().then(
  () => shutdown(0),
  (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    void shutdown(1);
  },
);
