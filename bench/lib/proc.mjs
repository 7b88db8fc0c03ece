// /proc readings for the benchmark: CPU time and resident memory of a process and all its
// descendants (nginx master + workers, a cluster primary + workers), straight from the kernel.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields after the `(comm)` of /proc/PID/stat, 0-based from field 3 (state). */
function statFields(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** pid plus every live descendant. */
export function processTree(rootPid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(name);
    if (!f) continue;
    const ppid = Number(f[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const out = [];
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop();
    out.push(pid);
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return out;
}

export function isAlive(pid) {
  const f = statFields(pid);
  return f !== null && f[0] !== 'Z';
}

/** utime + stime in seconds, summed over the given pids (a pid gone since is skipped). */
export function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
  }
  return ticks / CLK_TCK;
}

/** Busy seconds since boot (user, nice, system, irq, softirq, and steal — time the hypervisor
 *  gave to someone else), from /proc/stat: `total` over all CPUs and `perCpu[i]` for CPU i. */
export function machineBusySeconds() {
  const busy = (fields) => {
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + (steal ?? 0)) / CLK_TCK;
  };
  const perCpu = [];
  let total = 0;
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d*)\s+(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '') total = busy(m[2].trim().split(/\s+/));
    else perCpu[Number(m[1])] = busy(m[2].trim().split(/\s+/));
  }
  return { total, perCpu };
}

function statusKb(pid, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Reset each process's peak-RSS mark (VmHWM) so a run's peak is its own; false if refused. */
export function resetPeakRss(pids) {
  let ok = true;
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      ok = false;
    }
  }
  return ok;
}

/** Sum of per-process peaks (VmHWM), in MiB: an upper bound on the tree's simultaneous peak. */
export function peakRssMiB(pids) {
  return pids.reduce((sum, pid) => sum + statusKb(pid, 'VmHWM'), 0) / 1024;
}

/** RSS split into anonymous memory (heaps, buffers) and file-backed pages (the executable and
 *  libraries, shared by every process that maps them), in MiB, summed over the pids. */
export function rssSplitMiB(pids) {
  return { anon: pids.reduce((s, pid) => s + statusKb(pid, 'RssAnon'), 0) / 1024, file: pids.reduce((s, pid) => s + statusKb(pid, 'RssFile'), 0) / 1024 };
}

export function rssMiB(pids) {
  return pids.reduce((sum, pid) => sum + statusKb(pid, 'VmRSS'), 0) / 1024;
}

export function machineDescription() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  const mhz = /^cpu MHz\s*:\s*(.+)$/m.exec(cpuinfo)?.[1];
  const flags = /^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? '';
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const free = execFileSync('free', ['-m'], { encoding: 'utf8' }).trimEnd();
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  return { model, mhz, aesni: /\baes\b/.test(flags), avx2: /\bavx2\b/.test(flags), nproc, free, kernel };
}
