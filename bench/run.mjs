#!/usr/bin/env node
// `npm run bench`: hubgate against nginx with Meta's mTLS recipe and against nginx + njs doing the
// same job as hubgate (the HMAC check), side by side, in one run.
//
// One PKI, one recording upstream, one load generator (bench/lib/loadgen.mjs), the same request
// bytes (bodies signed with a real HMAC), concurrency and duration for every target, targets
// interleaved round by round so drift hits all alike. Ratios are computed per round (the runs
// next to each other in time), then the median is reported. See bench/README.md for the options.
//
// Targets: (a) the upstream directly, (b) nginx with Meta's recipe, (b′) nginx + njs checking
// X-Hub-Signature-256, (c) hubgate workers: 1 (Node 24 LTS; --also-node20 adds (c20) on Node 20),
// (d) hubgate workers: auto.
// Table 1 (per core): load generators on CPU 0, target + upstream on CPU 1, one worker each.
// Table 2: workers: auto vs worker_processes auto, nothing pinned.
// Then 60 s of 1 KB keep-alive against hubgate workers: 1 under --trace-gc (--skip-gc skips it).
// Issue 12 (--skip-events skips them): Meta events routed to tenants, against one more hubgate
// per table that serves the events apps (its dedupe memory grows over the run, so it is kept
// apart from the target the bars are judged on), next to that table's hubgate ka1k; with the
// memory dedupe store and with Redis (a redis-server of the run's own; --skip-events-redis).
// --profile: instead, PROFILE.md (lib/profile.mjs).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineDescription } from './lib/proc.mjs';
import * as T from './lib/targets.mjs';
import { SCENARIOS, SECRET, bodyBytes } from './lib/scenarios.mjs';
import { nginxBinary, nginxVersions } from './lib/nginx.mjs';
import { resolveRuntime, findNode20, nodeVersion, describeStages, describeEvents } from './lib/hubgate.mjs';
import { ensureNginx, ensureRedis, ensureTaskset } from './lib/prereq.mjs';
import { startFakeWhois } from './lib/whois.mjs';
import { GENERATORS, runOne, startTargets, stopTargets, table } from './lib/measure.mjs';
import { parseTraceGc, summariseGc } from './lib/gc.mjs';
import { floorTable, profileRuns, writeProfile } from './lib/profile.mjs';
import { writeReport } from './lib/report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? dflt : argv[i + 1];
};
const QUICK = flag('quick');
const OPTS = {
  rounds: Number(option('rounds', QUICK ? 1 : flag('profile') ? 2 : 3)),
  roundsAuto: Number(option('rounds-auto', QUICK ? 1 : 2)),
  measureMs: Number(option('seconds', QUICK ? 1.5 : 2.5)) * 1000,
  warmupMs: QUICK ? 500 : 1000,
  gcSeconds: flag('skip-gc') ? 0 : Number(option('gc-seconds', QUICK ? 10 : 60)),
  logLevel: option('log-level', 'info'), // production's level: the request log is part of the cost
  rotation: flag('rotation'),
  events: !flag('skip-events'),
  eventsRedis: !flag('skip-events') && !flag('skip-events-redis'),
  out: resolve(option('out', join(ROOT, 'bench'))),
};
const T0 = Date.now();
const elapsed = () => `${((Date.now() - T0) / 1000).toFixed(0)}s`;
const say = (msg) => process.stdout.write(`[${elapsed()}] ${msg}\n`);

function gitDescription() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() || 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  return dirty ? `${head} + uncommitted changes under src/` : head;
}

let WORK = null;
let whois = null;

async function main() {
  ensureNginx(say);
  ensureTaskset();
  if (OPTS.eventsRedis && !flag('profile')) ensureRedis(say);
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/ missing: run `npm run build` first (npm run bench does)');
  const node = resolveRuntime(ROOT, option('node', null));
  WORK = mkdtempSync(join(tmpdir(), 'hubgate-bench-'));
  try {
    whois = await startFakeWhois();
    const ctx = { root: ROOT, work: WORK, pki: join(WORK, 'pki'), node, whoisPort: whois.port, keep: flag('keep'), say, ...OPTS };
    execFileSync(process.execPath, [join(ROOT, 'bin/hubgate.js'), 'dev-pki', '--out', ctx.pki], { stdio: 'ignore' });
    ctx.upstreamPort = (await T.freePorts(1))[0];
    ctx.upstream = T.startUpstream(WORK, ctx.upstreamPort, SECRET, '1');
    await T.waitForPort(ctx.upstreamPort, ctx.upstream);
    if (ctx.eventsRedis && !flag('profile')) {
      const port = (await T.freePorts(1))[0];
      ctx.redis = T.startRedis(WORK, port, '1'); // server side: CPU 1 in table 1, like the upstream
      await T.waitForPort(port, ctx.redis);
      ctx.redisUrl = `redis://127.0.0.1:${port}`;
    }
    say(`work dir ${WORK}; nginx ${nginxBinary()}; hubgate on ${node} (${nodeVersion(node)}); fake whois on 127.0.0.1:${whois.port}`);
    if (flag('profile')) await profile(ctx);
    else await measure(ctx);
  } finally {
    await whois?.close();
    const forced = await T.stopAll();
    say(forced.length ? `stopped by PID; had to SIGKILL: ${forced.join(', ')}` : 'every process this run started is stopped (by PID)');
    if (flag('keep')) say(`kept ${WORK}`);
    else rmSync(WORK, { recursive: true, force: true });
  }
}

function baseMeta(ctx) {
  return {
    date: new Date().toISOString(),
    git: gitDescription(),
    logLevel: ctx.logLevel,
    hubgateNode: nodeVersion(ctx.node),
    runtimeSeconds: Math.round((Date.now() - T0) / 1000),
  };
}

async function profile(ctx) {
  const floor = await floorTable(ctx, ctx.rounds);
  const sections = await profileRuns(ctx);
  writeProfile(ctx.out, baseMeta(ctx), sections, floor);
  say(`wrote ${join(ctx.out, 'PROFILE.md')}`);
}

/** 60 s (--gc-seconds) of 1 KB keep-alive against hubgate workers: 1 under --trace-gc, pinned as
 *  in table 1: every pause V8 reports inside the measured window, by kind. */
async function gcRun(ctx) {
  const [port, adminPort] = await T.freePorts(2);
  const [t] = await startTargets(ctx, [{ name: '(c) hubgate, workers: 1, --trace-gc', kind: 'hubgate', workers: 1, cpus: '1', port, adminPort, nodeArgs: ['--trace-gc'] }]);
  await runOne(ctx, t, 'ka1k', { pinned: true });
  say(`GC: ${ctx.gcSeconds} s of 1 KB keep-alive against hubgate workers: 1 under --trace-gc`);
  const res = await runOne(ctx, t, 'ka1k', { pinned: true, measureMs: ctx.gcSeconds * 1000 });
  await T.stop(t.proc);
  const events = parseTraceGc(readFileSync(t.proc.logFile, 'utf8'));
  const [from, to] = res.window.map((ms) => ms - t.proc.startedAt);
  const summary = summariseGc(events, { fromMs: from, toMs: to, thresholdMs: 5 });
  say(`GC: ${res.rps.toFixed(0)} req/s, p99 ${res.p99?.toFixed(2)} ms; ${summary.collections} collections, max pause ${summary.maxPauseMs} ms, ${summary.over} over 5 ms`);
  return { seconds: ctx.gcSeconds, rps: res.rps, p99: res.p99, failed: res.failed, peakRssMiB: res.peakRssMiB, targetUsPerReq: res.targetUsPerReq, ...summary };
}

async function measure(ctx) {
  const ports = await T.freePorts(16);
  const v24 = nodeVersion(ctx.node);
  const perCore = [
    { name: '(a) upstream direct', kind: 'direct', port: ctx.upstreamPort },
    { name: '(b) nginx, 1 worker', kind: 'nginx', workers: 1, cpus: '1', port: ports[1] },
    { name: '(b′) nginx + njs, 1 worker', kind: 'njs', workers: 1, cpus: '1', port: ports[2] },
    { name: '(c) hubgate, workers: 1', kind: 'hubgate', workers: 1, cpus: '1', port: ports[3], adminPort: ports[4], runtime: v24 },
  ];
  if (flag('also-node20')) {
    const node20 = findNode20();
    perCore.push({ name: '(c20) hubgate w: 1, Node 20', kind: 'hubgate', workers: 1, cpus: '1', port: ports[5], adminPort: ports[6], node: node20, runtime: nodeVersion(node20) });
  }
  const compare = option('compare', null);
  if (compare) {
    // Another checkout's hubgate (built, with node_modules) beside this one in table 1: a
    // before/after of a change in one run, against the same nginx rounds.
    const rev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: compare, encoding: 'utf8' }).stdout?.trim() || compare;
    perCore.push({ name: `(c′) hubgate ${rev}, workers: 1`, kind: 'hubgate', root: compare, workers: 1, cpus: '1', port: ports[7], adminPort: ports[0], runtime: v24 });
  }
  if (ctx.events) perCore.push({ name: '(c) hubgate, workers: 1, events', kind: 'hubgate', events: true, workers: 1, cpus: '1', port: ports[12], adminPort: ports[13], runtime: v24 });
  let targets = await startTargets(ctx, perCore);
  say(`table 1 (per core): ${ctx.rounds} rounds × ${targets.length} targets, ${ctx.measureMs / 1000}s per run`);
  const t1 = await table(ctx, targets, { rounds: ctx.rounds, pinned: true, label: 'per-core' });
  await stopTargets(targets);

  const gc = ctx.gcSeconds > 0 ? await gcRun(ctx) : null;

  // Table 2: workers: auto vs worker_processes auto, nothing pinned.
  const allCpus = `0-${Number(execFileSync('nproc', { encoding: 'utf8' })) - 1}`;
  T.repin(ctx.upstream, allCpus);
  if (ctx.redis) T.repin(ctx.redis, allCpus);
  const autoSpecs = [
    { name: '(a) upstream direct', kind: 'direct', port: ctx.upstreamPort },
    { name: '(b) nginx, auto', kind: 'nginx', workers: 'auto', port: ports[8] },
    { name: '(b′) nginx + njs, auto', kind: 'njs', workers: 'auto', port: ports[9] },
    { name: '(d) hubgate, workers: auto', kind: 'hubgate', workers: 'auto', port: ports[10], adminPort: ports[11], runtime: v24 },
  ];
  if (ctx.events) autoSpecs.push({ name: '(d) hubgate, workers: auto, events', kind: 'hubgate', events: true, workers: 'auto', port: ports[14], adminPort: ports[15], runtime: v24 });
  targets = await startTargets(ctx, autoSpecs);
  say(`table 2 (auto, unpinned): ${ctx.roundsAuto} rounds × ${targets.length} targets`);
  const t2 = await table(ctx, targets, { rounds: ctx.roundsAuto, pinned: false, label: 'auto' });
  await stopTargets(targets);

  const upstream = await T.upstreamStats(ctx.upstreamPort);
  const versions = nginxVersions();
  const meta = {
    ...baseMeta(ctx),
    machine: machineDescription(),
    toolsNode: process.version,
    nginx: versions.nginx,
    njs: versions.njs,
    openssl: execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim(),
    rounds: ctx.rounds,
    roundsAuto: ctx.roundsAuto,
    measureSeconds: ctx.measureMs / 1000,
    warmupSeconds: ctx.warmupMs / 1000,
    rotation: ctx.rotation,
    stages: describeStages(ctx),
    eventsApps: ctx.events ? describeEvents(ctx) : null,
    eventsBatchBytes: ctx.events ? bodyBytes(SCENARIOS.ev100) : null,
    hubgateAutoProcesses: targets.find((t) => t.kind === 'hubgate' && !t.events).processes,
    nginxAutoProcesses: targets.find((t) => t.kind === 'nginx').processes,
    whoisQueries: whois.queries.length,
    upstream,
    quick: QUICK,
  };
  const result = { meta, runs: [...t1.runs, ...t2.runs], memory: [...t1.memory, ...t2.memory], gc };
  mkdirSync(ctx.out, { recursive: true });
  writeFileSync(join(ctx.out, 'results.json'), JSON.stringify(result, null, 1) + '\n');
  writeReport(ctx.out, result);
  say(`wrote ${join(ctx.out, 'RESULTS.md')}, results.svg, results.json (upstream saw ${upstream.requests} requests, ${upstream.hmacChecked} re-verified, ${upstream.hmacBad} bad) in ${elapsed()}`);
}

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
  await whois?.close();
  const forced = await T.stopAll();
  if (code !== 0) say(`stopping (${code === 1 ? 'error' : 'signal'}): every process this run started is stopped by PID${forced.length ? `; had to SIGKILL: ${forced.join(', ')}` : ''}`);
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
