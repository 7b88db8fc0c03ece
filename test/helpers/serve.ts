// `hubgate serve` as an operator runs it: the compiled CLI in a child process on a config folder
// of its own, its JSON log lines collected as they come (stdout and stderr).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, httpGet } from './net.js';
import { writeConfigFolder, eventually, type AppSpec } from './gateway.js';
import { useStarted, type Testbed } from './fixture.js';

const BIN = resolve(__dirname, '../../bin/hubgate.js');

export interface Served {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  port: number;
  adminPort: number;
  dir: string;
  /** Rewrites gateway.yaml (listen, admin, workers and log kept) and the app files. */
  writeConfig(overrides?: Record<string, unknown>, apps?: AppSpec[]): string;
}

export function spawnServe(configFile: string): { child: ChildProcess; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  const collect = (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p) as Record<string, unknown>);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return { child, lines };
}

/** `hubgate serve` with `workers` processes for the enclosing file, ready (every worker listening,
 *  /readyz 200) before the first test, killed after the last. */
export function useServe(bed: Testbed, options: { workers: number; apps: () => AppSpec[] }): Served {
  return useStarted(
    'served',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hubgate-serve-'));
      const [port, adminPort] = [await freePort(), await freePort()];
      const base = { workers: options.workers, listen: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: adminPort }, log: { level: 'info' } };
      const writeConfig = (overrides: Record<string, unknown> = {}, apps = options.apps()) => writeConfigFolder(dir, bed.pki, { ...base, ...overrides }, apps);
      const { child, lines } = spawnServe(writeConfig());
      await eventually(() => lines.filter((l) => l.msg === 'hubgate listening').length >= options.workers, 20_000);
      await eventually(async () => (await httpGet(adminPort, '/readyz')).status === 200, 10_000);
      return { child, lines, port, adminPort, dir, writeConfig };
    },
    (s) => {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
      rmSync(s.dir, { recursive: true, force: true });
    },
  );
}
