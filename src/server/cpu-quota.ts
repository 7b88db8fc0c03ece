// How many CPUs `workers: auto` may use: the cores this process may run on, capped by the
// cgroup CPU quota of its container (Kubernetes `limits.cpu`, `docker run --cpus`). Without the
// cap, a pod limited to one CPU on a 32-core node starts 32 workers that the kernel throttles.
// Node 24's availableParallelism() (libuv ≥ 1.49) applies the quota itself; Node 20's does not,
// so it is read here, the same way: cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` /
// `cpu.cfs_period_us`, the smallest limit from the process's own cgroup up to the root,
// fractions rounded down, never below 1.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, posix } from 'node:path';

export interface CgroupPaths {
  /** Where the cgroup file systems are mounted. */
  readonly root: string;
  /** The process's cgroup membership (`/proc/self/cgroup`). */
  readonly procSelfCgroup: string;
}

export const SYSTEM_CGROUP: CgroupPaths = { root: '/sys/fs/cgroup', procSelfCgroup: '/proc/self/cgroup' };

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** `/a/b` → [`/a/b`, `/a`, `/`]: a limit on any ancestor cgroup applies too. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = posix.normalize(path || '/'); ; p = posix.dirname(p)) {
    out.push(p);
    if (p === '/') return out;
  }
}

function ratio(quota: number, period: number): number | undefined {
  return Number.isFinite(quota) && Number.isFinite(period) && quota > 0 && period > 0 ? quota / period : undefined;
}

/** cgroup v2 `cpu.max`: "<quota> <period>" or "max <period>". */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.split(/\s+/);
  return quota === 'max' ? undefined : ratio(Number(quota), Number(period ?? 100_000));
}

function smallest(limits: Array<number | undefined>): number | undefined {
  const set = limits.filter((l): l is number => l !== undefined);
  return set.length ? Math.min(...set) : undefined;
}

/** The CPU limit in CPUs (may be fractional), or undefined when no quota applies. */
export function cgroupCpuLimit(paths: CgroupPaths = SYSTEM_CGROUP): number | undefined {
  const membership = read(paths.procSelfCgroup);
  if (membership === undefined) return undefined;
  const lines = membership.split('\n').map((l) => l.split(':'));
  // v1 (and the v1 cpu controller of a hybrid host): "N:cpu,cpuacct:/path".
  const v1 = lines.find(([, controllers]) => controllers?.split(',').includes('cpu'));
  if (v1) {
    const mount = ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'].map((m) => join(paths.root, m)).find((m) => read(join(m, 'cpu.cfs_period_us')) !== undefined);
    if (mount === undefined) return undefined;
    return smallest(ancestors(v1.slice(2).join(':')).map((p) => {
      const dir = join(mount, p);
      return ratio(Number(read(join(dir, 'cpu.cfs_quota_us'))), Number(read(join(dir, 'cpu.cfs_period_us'))));
    }));
  }
  // v2: "0::/path".
  const v2 = lines.find(([id, controllers]) => id === '0' && controllers === '');
  if (!v2) return undefined;
  return smallest(ancestors(v2.slice(2).join(':')).map((p) => {
    const text = read(join(paths.root, p, 'cpu.max'));
    return text === undefined ? undefined : parseCpuMax(text);
  }));
}

/** What `workers: auto` starts: min(cores available, cgroup quota rounded down), at least 1. */
export function availableCpus(paths: CgroupPaths = SYSTEM_CGROUP, cores = availableParallelism()): number {
  const limit = cgroupCpuLimit(paths);
  return limit === undefined ? cores : Math.max(1, Math.min(cores, Math.floor(limit)));
}
