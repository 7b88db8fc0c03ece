import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Allowlist, type AllowlistOptions, type AllowlistState, createAllowlist, type Timers } from '../../src/allowlist/refresher.js';
import { type FakeWhois, RADB_FIXTURE, startFakeWhois } from '../helpers/fake-whois.js';

const NOW = 1_750_000_000_000;
const META_V4 = '157.240.22.35';
const META_V6 = '2a03:2880:f12c:83:face:b00c:0:25de';
const ROUTE = (prefix: string, mntBy = 'MAINT-AS32934') =>
  `route${prefix.includes(':') ? '6' : ''}: ${prefix}\norigin: AS32934\nmnt-by: ${mntBy}\n\n`;

/** Timers that only run when the test says so: the schedule is asserted, never waited for. */
function manualTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 0;
  const timers: Timers = {
    setTimeout: (fn, ms) => (pending.set(++next, { fn, ms }), next),
    clearTimeout: (handle) => void pending.delete(handle as number),
  };
  return {
    timers,
    delays: () => [...pending.values()].map((t) => t.ms),
    fire() {
      const [id, timer] = [...pending.entries()][0] ?? [];
      if (id === undefined || timer === undefined) throw new Error('no timer pending');
      pending.delete(id);
      timer.fn();
    },
  };
}

function recordingLog() {
  const entries: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void entries.push({ level, obj: obj as Record<string, unknown>, msg });
  return { entries, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

let whois: FakeWhois;
let dir: string;
let cacheFile: string;
const running: Allowlist[] = [];

beforeEach(async () => {
  whois = await startFakeWhois();
  dir = await mkdtemp(path.join(tmpdir(), 'hubgate-allowlist-'));
  cacheFile = path.join(dir, 'var', 'allowlist-AS32934.json');
});
afterEach(async () => {
  for (const allowlist of running.splice(0)) allowlist.stop();
  await whois.close();
  await rm(dir, { recursive: true, force: true });
});

function make(overrides: Partial<AllowlistOptions> = {}) {
  const clock = manualTimers();
  const { entries, log } = recordingLog();
  const changes: AllowlistState[] = [];
  const allowlist = createAllowlist({
    asn: 'AS32934',
    whois: { host: whois.host, port: whois.port, timeoutMs: 5000 },
    refreshSeconds: 86400,
    cacheFile,
    maintainers: [],
    extraCidrs: [],
    log,
    onChange: (state) => changes.push(state),
    timers: clock.timers,
    random: () => 0.5,
    now: () => NOW,
    ...overrides,
  });
  running.push(allowlist);
  return { allowlist, clock, entries, changes };
}

describe('allowlist from whois', () => {
  it('loads the list, allows Meta over IPv4, IPv6 and IPv4-mapped, refuses others', async () => {
    const { allowlist, changes } = make();
    await allowlist.start();
    expect(allowlist.isReady()).toBe(true);
    expect(allowlist.prefixCount()).toBe(14);
    for (const ip of [META_V4, META_V6, `::ffff:${META_V4}`]) expect(allowlist.check(ip), ip).toBeUndefined();
    expect(allowlist.check('198.51.100.7')?.reason).toBe('address_not_allowed');
    expect(allowlist.allows('2001:db8::1')).toBe(false);
    expect(changes).toEqual([{ ready: true, prefixes: 14, lastSuccess: NOW / 1000, source: 'whois' }]);
    expect(whois.queries).toEqual(['-i origin AS32934']);
  });

  it('applies the maintainer filter', async () => {
    const { allowlist } = make({ maintainers: ['MAINT-AS32934'] });
    await allowlist.start();
    expect(allowlist.prefixCount()).toBe(12);
    expect(allowlist.allows('179.60.192.1')).toBe(false);
  });

  it('schedules the next refresh at refreshSeconds with ±10% jitter', async () => {
    const low = make({ random: () => 0 });
    await low.allowlist.start();
    expect(low.clock.delays()).toEqual([86400 * 0.9 * 1000]);
    const high = make({ random: () => 0.5 });
    await high.allowlist.start();
    expect(high.clock.delays()).toEqual([86400 * 1000]);
  });

  it('picks up a change at the next refresh and logs what was added and removed', async () => {
    const { allowlist, clock, entries } = make();
    await allowlist.start();
    whois.setAnswer(RADB_FIXTURE.replace('route:          45.64.40.0/22', 'route:          129.134.0.0/17'));
    clock.fire();
    expect(await allowlist.refresh()).toBe(true);
    expect(allowlist.allows('129.134.1.1')).toBe(true);
    expect(allowlist.allows('45.64.40.1')).toBe(false);
    expect(entries.at(-1)).toMatchObject({ level: 'info', obj: { prefixes: 14, added: 1, removed: 1 } });
    expect(whois.queries).toHaveLength(2);
  });

  it('keeps the last good list when the answer is empty', async () => {
    const { allowlist, entries } = make();
    await allowlist.start();
    whois.setAnswer('% No entries found for the selected source(s).\n');
    expect(await allowlist.refresh()).toBe(false);
    expect(allowlist.prefixCount()).toBe(14);
    expect(allowlist.allows(META_V4)).toBe(true);
    expect(entries.at(-1)).toMatchObject({ level: 'warn', obj: { code: 'empty', prefixes: 14 } });
  });

  it('keeps the last good list when the answer shrinks below half', async () => {
    const { allowlist, entries } = make();
    await allowlist.start();
    whois.setAnswer(ROUTE('157.240.0.0/17') + ROUTE('2a03:2880::/32'));
    expect(await allowlist.refresh()).toBe(false);
    expect(allowlist.prefixCount()).toBe(14);
    expect(entries.at(-1)).toMatchObject({ level: 'warn', obj: { code: 'shrunk' } });
  });

  it('accepts a smaller answer that keeps at least half the prefixes', async () => {
    const { allowlist } = make();
    await allowlist.start();
    whois.setAnswer(['31.13.24.0/21', '31.13.64.0/18', '157.240.0.0/17', '2a03:2880::/32', '102.132.96.0/20', '185.60.216.0/22', '69.63.176.0/21'].map((p) => ROUTE(p)).join(''));
    expect(await allowlist.refresh()).toBe(true);
    expect(allowlist.prefixCount()).toBe(7);
  });

  it('keeps the last good list when whois times out, and retries with backoff', async () => {
    const { allowlist, clock, entries } = make({ whois: { host: whois.host, port: whois.port, timeoutMs: 200 } });
    await allowlist.start();
    whois.setMode('hang');
    expect(await allowlist.refresh()).toBe(false);
    expect(allowlist.isReady()).toBe(true);
    expect(entries.at(-1)).toMatchObject({ level: 'warn', obj: { code: 'timeout' } });
    expect(clock.delays()).toEqual([5000]);
  });
});

describe('allowlist without whois', () => {
  it('serves the cached list when whois is down, with its original fetch time', async () => {
    const first = make();
    await first.allowlist.start();
    first.allowlist.stop();
    await whois.down();

    const { allowlist, entries } = make({ now: () => NOW + 3_600_000 });
    await allowlist.start();
    expect(allowlist.isReady()).toBe(true);
    expect(allowlist.state()).toEqual({ ready: true, prefixes: 14, lastSuccess: NOW / 1000, source: 'cache' });
    expect(allowlist.allows(META_V6)).toBe(true);
    expect(entries.map((e) => e.level)).toEqual(['info', 'warn']);
    expect(entries[1]?.obj).toMatchObject({ code: 'refused' });
  });

  it('re-applies a changed maintainer filter to the cached list', async () => {
    await make().allowlist.start();
    await whois.down();
    const { allowlist } = make({ maintainers: ['MAINT-AS27699'] });
    await allowlist.start();
    expect(allowlist.prefixCount()).toBe(1);
    expect(allowlist.allows('179.60.192.1')).toBe(true);
    expect(allowlist.allows(META_V4)).toBe(false);
  });

  it('fails closed without whois and without a cache: not ready, every address refused', async () => {
    await whois.down();
    const { allowlist, entries, changes } = make();
    await allowlist.start();
    expect(allowlist.isReady()).toBe(false);
    expect(allowlist.check(META_V4)?.reason).toBe('allowlist_unavailable');
    expect(allowlist.lastSuccess()).toBeUndefined();
    expect(changes).toEqual([]);
    expect(entries.at(-1)).toMatchObject({ level: 'error', obj: { reason: 'allowlist_unavailable', code: 'refused' } });
  });

  it('retries with doubling, bounded delays until a list loads', async () => {
    await whois.down();
    const { allowlist, clock } = make({ retry: { initialSeconds: 5, maxSeconds: 30 } });
    await allowlist.start();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      delays.push(...clock.delays());
      clock.fire();
      await allowlist.refresh();
    }
    expect(delays).toEqual([5000, 10000, 20000, 30000, 30000]);
    await whois.up();
    clock.fire();
    expect(await allowlist.refresh()).toBe(true);
    expect(allowlist.isReady()).toBe(true);
    expect(clock.delays()).toEqual([86400 * 1000]);
  });

  it('allows extraCidrs before any list loads, without becoming ready', async () => {
    await whois.down();
    const { allowlist } = make({ extraCidrs: ['203.0.113.0/24', '2001:db8::/32'] });
    await allowlist.start();
    expect(allowlist.check('203.0.113.9')).toBeUndefined();
    expect(allowlist.allows('2001:db8::9')).toBe(true);
    expect(allowlist.isReady()).toBe(false);
  });

  it('ignores a corrupt cache file and says so', async () => {
    await whois.down();
    await writeFile(path.join(dir, 'bad.json'), '{"version":1,"asn":"AS32934","fetchedAt":1,"routes":[{"prefix":"300.0.0.0/8","maintainers":[]}]}');
    const { allowlist, entries } = make({ cacheFile: path.join(dir, 'bad.json') });
    await allowlist.start();
    expect(allowlist.isReady()).toBe(false);
    expect(entries[0]).toMatchObject({ level: 'warn', msg: 'allowlist cache ignored' });
    expect(String(entries[0]?.obj.err)).toContain('routes[0].prefix');
  });

  it('ignores a cache made for another ASN', async () => {
    await make().allowlist.start();
    await whois.down();
    const { allowlist } = make({ asn: 'AS64500' });
    await allowlist.start();
    expect(allowlist.isReady()).toBe(false);
  });
});

describe('allowlist cache file', () => {
  it('is replaced atomically by rename, leaving no temporary file', async () => {
    const { allowlist } = make();
    await allowlist.start();
    const before = await stat(cacheFile);
    whois.setAnswer(`${RADB_FIXTURE}${ROUTE('129.134.0.0/17')}`);
    expect(await allowlist.refresh()).toBe(true);
    const after = await stat(cacheFile);
    // A new inode: the file was renamed into place, never rewritten where a reader could see half.
    expect(after.ino).not.toBe(before.ino);
    expect(await readdir(path.dirname(cacheFile))).toEqual(['allowlist-AS32934.json']);
    const cached = JSON.parse(await readFile(cacheFile, 'utf8')) as { fetchedAt: number; routes: unknown[] };
    expect(cached.fetchedAt).toBe(NOW / 1000);
    expect(cached.routes).toHaveLength(15);
  });

  it('keeps the accepted list in memory when the cache cannot be written', async () => {
    await writeFile(path.join(dir, 'a-file'), 'not a directory');
    const { allowlist, entries } = make({ cacheFile: path.join(dir, 'a-file', 'cache.json') });
    await allowlist.start();
    expect(allowlist.isReady()).toBe(true);
    expect(entries.at(-1)).toMatchObject({ level: 'warn', msg: expect.stringContaining('cache not written') });
  });
});

describe('allowlist options', () => {
  it('refuses an ASN that is not in RPSL form, so nothing else reaches the query', () => {
    expect(() => make({ asn: 'AS32934 -k' })).toThrow(/not an AS number/);
  });

  it('stops scheduling once stopped', async () => {
    const { allowlist, clock } = make();
    await allowlist.start();
    allowlist.stop();
    expect(clock.delays()).toEqual([]);
  });
});
