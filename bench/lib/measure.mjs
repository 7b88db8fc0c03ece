// One measured run (load generators + /proc samples of target, upstream and generators), the
// targets' start-up (with RSS at start and the same-job check) and the interleaved table of
// rounds × scenarios × targets.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processTree, cpuSeconds, resetPeakRss, peakRssMiB, rssMiB, rssSplitMiB, machineBusySeconds } from './proc.mjs';
import { SCENARIOS, appOf, bodyBytes, pathFor, requestFile } from './scenarios.mjs';
import * as T from './targets.mjs';
import { startNginx } from './nginx.mjs';
import { startHubgate, waitReady } from './hubgate.mjs';
import { sameJob } from './sanity.mjs';
import { account, accountingText, snapshot } from './accounting.mjs';

/** Live load generator processes, stopped by PID if the run is interrupted. */
export const GENERATORS = new Set();

/** Distinct runs: a tag no other run of this harness had (2 base-36 characters; the generator
 *  index makes the third), so no seed repeats while a target lives. */
let runTags = 0;
function nextTag() {
  if (runTags >= 36 * 36) throw new Error('distinct runs: out of run tags');
  return (runTags++).toString(36).padStart(2, '0');
}

function spawnGenerators(ctx, target, scName, { rate, pinned, measureMs }) {
  const sc = SCENARIOS[scName];
  const tag = sc.distinct ? nextTag() : null;
  const procs = pinned ? sc.procs : Math.max(sc.procs, 2);
  const startAt = Date.now() + 400;
  const base = {
    mode: sc.mode,
    host: '127.0.0.1',
    port: target.port,
    tls: target.kind === 'direct' ? null : { cert: `${ctx.pki}/client.crt`, key: `${ctx.pki}/client.key`, ca: `${ctx.pki}/root.crt`, ...sc.tls },
    resume: Boolean(sc.resume),
    requestFile: sc.distinct ? undefined : requestFile(ctx.work, sc, target.kind),
    startAt,
    warmupMs: ctx.warmupMs,
    durationMs: measureMs,
  };
  const gens = [];
  for (let i = 0; i < procs; i++) {
    const share = Math.floor(sc.connections / procs) + (i < sc.connections % procs ? 1 : 0);
    const o = { ...base, connections: share, rate: rate ? rate / procs : undefined };
    if (tag) o.distinct = { scenario: scName, path: pathFor(sc, target.kind), tag: `${tag}${i.toString(36)}` };
    const file = pinned ? 'taskset' : process.execPath;
    const args = [...(pinned ? ['-c', '0', process.execPath] : []), join(ctx.root, 'bench/lib/loadgen.mjs'), JSON.stringify(o)];
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    GENERATORS.add(child);
    child.on('exit', () => GENERATORS.delete(child));
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const done = new Promise((resolve) => {
      let settled = false;
      const finish = (code) => {
        if (settled) return;
        settled = true;
        resolve({ out, err, code });
      };
      child.on('exit', finish);
      child.stdout.on('data', (d) => {
        out += d;
        // The result line is in. Node 24.22.3 was seen to hang in process.exit (the main thread
        // joining a V8 worker thread that waits forever): the result is kept, the process killed.
        if (out.endsWith('\n'))
          setTimeout(() => {
            if (settled) return;
            child.kill('SIGKILL');
            finish(0);
          }, 3000).unref();
      });
    });
    gens.push({ child, done });
  }
  return { gens, startAt };
}

/** One measured run of scenario `scName` against `target`. */
export async function runOne(ctx, target, scName, { rate, pinned, measureMs = ctx.measureMs }) {
  const sc = SCENARIOS[scName];
  const before = sc.distinct ? await snapshot(ctx, target, sc) : null;
  const { gens, startAt } = spawnGenerators(ctx, target, scName, { rate, pinned, measureMs });
  const targetTree = () => processTree(target.proc.pid);
  // The run's redis-server (events scenarios) is part of the server side: CPU 1 when pinned.
  const sample = () => ({ root: cpuSeconds([target.proc.pid]), target: cpuSeconds(targetTree()), upstream: cpuSeconds(processTree(ctx.upstream.pid)), store: ctx.redis ? cpuSeconds([ctx.redis.pid]) : 0, gens: cpuSeconds(gens.map((g) => g.child.pid)), machine: machineBusySeconds() });
  await sleep(startAt + ctx.warmupMs - Date.now());
  const rssResetOk = resetPeakRss(targetTree());
  const a = sample();
  const windowStart = Date.now();
  const t1 = performance.now();
  await sleep(startAt + ctx.warmupMs + measureMs - Date.now() - 5);
  const b = sample();
  const seconds = (performance.now() - t1) / 1000;
  const rss = peakRssMiB(targetTree());
  const results = (await Promise.all(gens.map((g) => g.done))).map(({ out, err, code }) => {
    if (code !== 0) throw new Error(`load generator for ${target.name} / ${scName} failed (exit ${code}): ${err.trim()}`);
    return JSON.parse(out.trim().split('\n').pop());
  });
  const sum = (k) => results.reduce((n, r) => n + (r[k] ?? 0), 0);
  const completed = sum('completed');
  const failed = sum('failed') + sum('errors');
  const weighted = (k) => {
    const n = results.reduce((s, r) => s + (r[k] === null ? 0 : r.completed), 0);
    return n ? results.reduce((s, r) => s + (r[k] ?? 0) * r.completed, 0) / n : null;
  };
  const total = completed + failed;
  const rps = completed / (measureMs / 1000);
  const targetCpu = b.target - a.target;
  const upstreamCpu = b.upstream - a.upstream;
  const storeCpu = b.store - a.store;
  // Measured directly, the upstream is the target: count its CPU once.
  const serverCpu = (target.kind === 'direct' ? targetCpu : targetCpu + upstreamCpu) + storeCpu;
  const accounting = sc.distinct ? account(sc, before, await snapshot(ctx, target, sc), results) : null;
  const cpu1Busy = (100 * serverCpu) / seconds;
  return {
    target: target.name,
    kind: target.kind,
    events: target.events ? true : undefined,
    runtime: target.runtime ?? null,
    scenario: scName,
    rps,
    mbps: (rps * bodyBytes(sc)) / 1e6,
    completed,
    failed,
    statuses: results.map((r) => r.statuses),
    resumed: sc.resume ? sum('resumed') : null,
    resumptionRate: sc.resume && completed ? sum('resumed') / completed : null,
    negotiated: results.find((r) => r.negotiated)?.negotiated ?? null,
    p50: weighted('p50'),
    p99: results.length === 1 ? results[0].p99 : Math.max(...results.map((r) => r.p99 ?? 0)),
    rate: rate ?? null,
    targetCpuPct: (100 * targetCpu) / seconds,
    upstreamCpuPct: (100 * upstreamCpu) / seconds,
    loadgenCpuPct: (100 * (b.gens - a.gens)) / seconds,
    // Everything else the machine did meanwhile (other engineers' builds, the harness itself,
    // hypervisor steal): a run with much of it is a noisy one.
    // (/proc/stat and /proc/PID/stat tick separately: a few % of jitter either way, floored at 0.)
    otherCpuPct: Math.max(0, (100 * (b.machine.total - a.machine.total - serverCpu - (b.gens - a.gens))) / seconds),
    // Pinned: how busy CPU 0 (generators) and CPU 1 (target + upstream) were, counting everyone.
    cpu0AllPct: pinned ? (100 * (b.machine.perCpu[0] - a.machine.perCpu[0])) / seconds : null,
    cpu1AllPct: pinned ? (100 * (b.machine.perCpu[1] - a.machine.perCpu[1])) / seconds : null,
    // Proxy CPU per request: the target's own process tree only (nginx master + workers,
    // hubgate primary + workers); the upstream's share separately.
    targetUsPerReq: total ? (targetCpu / total) * 1e6 : null,
    upstreamUsPerReq: total ? (upstreamCpu / total) * 1e6 : null,
    storeUsPerReq: total && appOf(sc).store === 'redis' ? (storeCpu / total) * 1e6 : null,
    storeCpuPct: appOf(sc).store === 'redis' ? (100 * storeCpu) / seconds : null,
    accounting,
    // Of the target's CPU, the part in its root process: the nginx master, or hubgate's cluster
    // primary (which, with node:cluster's default round-robin, accepts every connection and
    // hands it to a worker over IPC).
    rootUsPerReq: total && target.kind !== 'direct' ? ((b.root - a.root) / total) * 1e6 : null,
    // Pinned: target + upstream share CPU 1. What CPU 1 could do if it were saturated: the
    // cross-check for loads (handshakes) the generators on CPU 0 may not push to saturation.
    cpu1BusyPct: pinned ? cpu1Busy : null,
    capacity: pinned && sc.mode === 'hs' ? (rps * 100) / Math.max(1, cpu1Busy) : null,
    peakRssMiB: rssResetOk ? rss : null,
    window: [windowStart, windowStart + seconds * 1000],
  };
}

/** Starts each target (nginx, hubgate, bare; `direct` is the upstream itself), waits until it
 *  serves, records RSS at start, then proves it does the job it is credited with. */
export async function startTargets(ctx, specs) {
  const out = [];
  for (const s of specs) {
    const common = { name: s.name, work: ctx.work, pki: ctx.pki, port: s.port, upstreamPort: ctx.upstreamPort, cpus: s.cpus };
    let proc;
    if (s.kind === 'nginx' || s.kind === 'njs') proc = startNginx({ ...common, workers: s.workers, njs: s.kind === 'njs', rotation: ctx.rotation });
    else if (s.kind === 'bare') proc = T.startBare({ ...common, mode: s.mode, node: ctx.node });
    else if (s.kind === 'hubgate')
      proc = startHubgate({ ...common, root: s.root ?? ctx.root, node: s.node ?? ctx.node, nodeArgs: s.nodeArgs, adminPort: s.adminPort, whoisPort: ctx.whoisPort, workers: s.workers, logLevel: s.logLevel ?? ctx.logLevel, rotation: ctx.rotation, events: s.events, redisUrl: ctx.redisUrl });
    else proc = ctx.upstream;
    if (s.kind !== 'direct') await T.waitForPort(s.port, proc);
    if (s.kind === 'hubgate') await waitReady(proc);
    out.push({ ...s, proc });
  }
  await sleep(500);
  for (const t of out) {
    t.processes = processTree(t.proc.pid).length;
    t.rssStartMiB = rssMiB(processTree(t.proc.pid));
  }
  for (const t of out) if (t.kind !== 'direct' && t.kind !== 'bare') t.proven = await sameJob(ctx, t);
  return out;
}

export async function stopTargets(targets) {
  for (const t of targets) if (t.kind !== 'direct') await T.stop(t.proc);
}

/** ½ of the slowest proxy's ka1k peak in this round and table: a load every target carries. */
function offeredRate(runs, round, label) {
  const peaks = runs.filter((x) => x.round === round && x.scenario === 'ka1k' && x.table === label && x.kind !== 'direct');
  return Math.max(100, Math.round((peaks.length ? Math.min(...peaks.map((x) => x.rps)) : 2000) / 2));
}

/** Whether scenario `sc` runs against target `t` in this table: the events scenarios only on
 *  the events targets and the others never there; the Redis ones only with the run's redis. */
function runsOn(ctx, sc, t) {
  if (Boolean(sc.events) !== Boolean(t.events)) return false;
  if (appOf(sc).store === 'redis' && !ctx.redisUrl) return false;
  return !((sc.tlsOnly && t.kind === 'direct') || (sc.kinds && !sc.kinds.includes(t.kind)));
}

/** Rounds × scenarios × targets, the target order rotated each round. Before round 1: one
 *  warm-up ka1k run per target (JIT, pools), then 2 s idle and the idle RSS of each target. */
export async function table(ctx, targets, { rounds, pinned, label, only }) {
  const runs = [];
  // Warm-up: ka1k, or for an events target its first scenario (event ids are never reused).
  for (const t of targets) await runOne(ctx, t, t.events ? Object.keys(SCENARIOS).find((s) => runsOn(ctx, SCENARIOS[s], t)) : 'ka1k', { pinned });
  await sleep(2000);
  const memory = targets.map((t) => {
    const tree = processTree(t.proc.pid);
    const split = rssSplitMiB(tree);
    return { table: label, target: t.name, kind: t.kind, events: t.events ? true : undefined, runtime: t.runtime ?? null, processes: t.processes, rssStartMiB: t.rssStartMiB, rssIdleMiB: rssMiB(tree), rssIdleAnonMiB: split.anon, rssIdleFileMiB: split.file, proven: t.proven ?? [] };
  });
  for (let r = 0; r < rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const scName of only ?? Object.keys(SCENARIOS)) {
      const sc = SCENARIOS[scName];
      if (!only && !sc.tables.includes(label)) continue;
      const rate = sc.mode === 'rate' ? offeredRate(runs, r, label) : undefined;
      for (const t of order) {
        if (!runsOn(ctx, sc, t)) continue;
        const res = await runOne(ctx, t, scName, { rate, pinned });
        runs.push({ ...res, round: r, table: label });
        ctx.say(
          `${label} r${r + 1} ${scName.padEnd(6)} ${t.name.padEnd(26)} ${res.rps.toFixed(0).padStart(6)}/s  ${res.targetUsPerReq?.toFixed(0).padStart(5)} µs/req  p99 ${res.p99?.toFixed(2)} ms  CPU target ${res.targetCpuPct.toFixed(0)}% upstream ${res.upstreamCpuPct.toFixed(0)}% loadgen ${res.loadgenCpuPct.toFixed(0)}% other ${res.otherCpuPct.toFixed(0)}%` +
            `${res.resumptionRate !== null ? `  resumed ${(100 * res.resumptionRate).toFixed(0)}%` : ''}${res.failed ? `  FAILED ${res.failed}` : ''}${accountingText(res)}`,
        );
      }
    }
  }
  return { runs, memory };
}
