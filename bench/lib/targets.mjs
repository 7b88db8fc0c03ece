// Starting and stopping the processes under test (the recording upstream, nginx — lib/nginx.mjs —,
// hubgate — lib/hubgate.mjs —, the bare Node references). Each is started by PID, remembered, and
// stopped by that PID (SIGTERM, then SIGKILL) at the end; its descendants (nginx workers, cluster
// workers) are listed by PID first and any still alive after the parent exits are killed by PID too.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, openSync, closeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processTree, isAlive } from './proc.mjs';

const started = [];

/** `taskset -c CPUS cmd…` when cpus is set, else cmd… as is. */
export function launch(name, cpus, cmd, args, { env, logFile, stdio } = {}) {
  const fd = logFile ? openSync(logFile, 'a') : 'ignore';
  const [file, argv] = cpus ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { env: { ...process.env, ...env }, stdio: stdio ?? ['ignore', fd, fd] });
  if (typeof fd === 'number') closeSync(fd);
  const proc = { name, pid: child.pid, child, exited: false, startedAt: Date.now() };
  child.on('exit', () => (proc.exited = true));
  started.push(proc);
  return proc;
}

const kill = (pid, signal) => {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
};

export async function stop(proc, graceMs = 5000) {
  // With `taskset -c CPUS cmd`, taskset execs cmd: the PID is the target's own.
  const descendants = proc.exited ? [] : processTree(proc.pid).slice(1).map((pid) => ({ pid, start: startTime(pid) }));
  if (!proc.exited) {
    const gone = new Promise((r) => (proc.exited ? r() : proc.child.once('exit', r)));
    kill(proc.pid, 'SIGTERM');
    const t = setTimeout(() => kill(proc.pid, 'SIGKILL'), graceMs);
    await gone;
    clearTimeout(t);
  }
  // Children normally leave with their parent (nginx master, cluster primary); give them a moment,
  // then make sure — same PID *and* same start time, so a reused PID is never hit.
  const deadline = Date.now() + graceMs;
  let left = descendants.filter((d) => isAlive(d.pid) && startTime(d.pid) === d.start);
  while (left.length && Date.now() < deadline) {
    await sleep(50);
    left = left.filter((d) => isAlive(d.pid) && startTime(d.pid) === d.start);
  }
  for (const d of left) kill(d.pid, 'SIGKILL');
  proc.leftovers = left.length;
}

function startTime(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19]; // field 22: starttime
  } catch {
    return null;
  }
}

/** Stop everything this run started; returns the processes that had to be SIGKILLed or survived. */
export async function stopAll() {
  const procs = started.splice(0);
  await Promise.all(procs.map((p) => stop(p)));
  return procs.filter((p) => !p.exited || p.leftovers).map((p) => `${p.name} (pid ${p.pid}${p.leftovers ? `, ${p.leftovers} children killed` : ''})`);
}

/** Re-pin a running process and all its threads (taskset -a -p). */
export function repin(proc, cpus) {
  spawnSync('taskset', ['-a', '-p', '-c', cpus, String(proc.pid)], { stdio: 'ignore' });
}

export function freePorts(n) {
  return Promise.all(
    Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    })),
  );
}

export async function waitForPort(port, proc, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited) throw new Error(`${proc.name} exited during startup (see its log)`);
    const ok = await new Promise((r) => {
      const s = connect({ port, host: '127.0.0.1' }, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${proc.name} did not listen on ${port} within ${timeoutMs} ms`);
}

export function startUpstream(work, port, secret, cpus) {
  return launch('upstream', cpus, process.execPath, [new URL('./upstream.mjs', import.meta.url).pathname, String(port), secret], {
    logFile: join(work, 'upstream.log'),
  });
}

/** The Redis dedupe store of the events scenarios: loopback, no persistence. */
export function startRedis(work, port, cpus) {
  return launch('redis-server', cpus, 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { logFile: join(work, 'redis.log') });
}

/** A target's working directory: its display name, made safe for unquoted config paths. */
export const slug = (name) => name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');

export async function upstreamStats(port) {
  const res = await fetch(`http://127.0.0.1:${port}/__bench/stats`);
  return res.json();
}

/** A reference point for the profile (`--profile`): see bare-proxy.mjs. `node`: the runtime. */
export function startBare({ name, work, pki, port, upstreamPort, mode, cpus, node }) {
  const args = [new URL('./bare-proxy.mjs', import.meta.url).pathname, mode, String(port), String(upstreamPort), pki];
  return launch(name, cpus, node ?? process.execPath, args, { logFile: join(work, `${slug(name)}.log`) });
}
