// `workers: auto` under a cgroup CPU quota, read from fixture trees shaped like the real files
// (test/fixtures/cgroup/<case>/: proc-self-cgroup and sys/fs/cgroup/…), with the root injected.
import { describe, it, expect } from 'vitest';
import { join, resolve } from 'node:path';
import { availableCpus, cgroupCpuLimit, parseCpuMax, type CgroupPaths } from '../../src/server/cpu-quota.js';
import { workerCount } from '../../src/server/cluster.js';
import { summarize } from '../../src/cli/check.js';
import { loadConfig } from '../../src/config/load.js';
import { writeConfigFolder } from '../helpers/gateway.js';
import { useStarted } from '../helpers/fixture.js';
import { createTestPki } from '../helpers/pki.js';

const FIXTURES = resolve(__dirname, '../fixtures/cgroup');
const fixture = (name: string): CgroupPaths => ({
  root: join(FIXTURES, name, 'sys/fs/cgroup'),
  procSelfCgroup: join(FIXTURES, name, 'proc-self-cgroup'),
});

describe('cgroup v2 cpu.max', () => {
  it('reads a container quota of 1.5 CPUs, and auto starts one worker on a 32-core node', () => {
    expect(cgroupCpuLimit(fixture('v2-container'))).toBe(1.5);
    expect(availableCpus(fixture('v2-container'), 32)).toBe(1);
  });

  it('sees no limit in "max 100000", and auto uses every core', () => {
    expect(cgroupCpuLimit(fixture('v2-unlimited'))).toBeUndefined();
    expect(availableCpus(fixture('v2-unlimited'), 32)).toBe(32);
  });

  it('takes the smallest quota from the process’s own cgroup up to the root', () => {
    expect(cgroupCpuLimit(fixture('v2-nested'))).toBe(2);
    expect(availableCpus(fixture('v2-nested'), 32)).toBe(2);
  });

  it('ignores a cpu.max it cannot read as a quota, rather than guessing', () => {
    expect(parseCpuMax('lots 100000')).toBeUndefined();
    expect(availableCpus(fixture('v2-malformed'), 8)).toBe(8);
  });

  it('parses quota and period, with the default period when it is missing', () => {
    expect(parseCpuMax('250000 100000')).toBe(2.5);
    expect(parseCpuMax('50000')).toBe(0.5);
    expect(parseCpuMax('max')).toBeUndefined();
  });
});

describe('cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us', () => {
  it('reads the quota of the process’s cgroup under the cpu,cpuacct mount', () => {
    expect(cgroupCpuLimit(fixture('v1-docker'))).toBe(3);
    expect(availableCpus(fixture('v1-docker'), 32)).toBe(3);
  });

  it('sees no limit in a quota of -1', () => {
    expect(cgroupCpuLimit(fixture('v1-unlimited'))).toBeUndefined();
  });

  it('falls back to the mount root when the listed path is the host’s (no cgroup namespace), and never goes below 1', () => {
    expect(cgroupCpuLimit(fixture('v1-namespaced'))).toBe(0.5);
    expect(availableCpus(fixture('v1-namespaced'), 4)).toBe(1);
  });
});

describe('workers: auto', () => {
  it('never starts more workers than the cores, whatever the quota', () => {
    expect(availableCpus(fixture('v1-docker'), 2)).toBe(2);
  });

  it('uses every core where no cgroup file exists', () => {
    expect(availableCpus({ root: join(FIXTURES, 'absent'), procSelfCgroup: join(FIXTURES, 'absent/proc') }, 6)).toBe(6);
  });

  const pki = useStarted('pki', () => createTestPki(), (p) => p.cleanup());
  it('is what hubgate check reports for this machine', () => {
    const file = writeConfigFolder(join(pki.dir, 'cfg'), pki, { workers: 'auto' }, [{ name: 'shop', path: '/webhooks/shop', upstream: 'http://127.0.0.1:3000/hook' }]);
    expect(summarize(loadConfig(file, {}))).toContain(`workers: auto (${availableCpus()} here: the cores available, capped by the cgroup CPU quota)`);
  });

  it('is what the cluster starts for auto, and a number stays that number', () => {
    expect(workerCount({ workers: 'auto' })).toBe(availableCpus());
    expect(workerCount({ workers: 3 })).toBe(3);
  });
});
