// `workers: 2` as an operator runs it: `hubgate serve` in a child process, one port, two worker
// processes, a worker killed and replaced, /metrics aggregated over the group by the primary.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort, httpGet as fetchText } from '../helpers/net.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useTestbed, shopApp } from '../helpers/fixture.js';
import { writeConfigFolder, SECRET, eventually } from '../helpers/gateway.js';
import { post } from '../helpers/client.js';

const BIN = resolve(__dirname, '../../bin/hubgate.js');

const { pki, upstream } = useTestbed();
let dir: string;
let child: ChildProcess;
let lines: Array<Record<string, unknown>> = [];
let port: number;
let adminPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubgate-cluster-'));
  [port, adminPort] = [await freePort(), await freePort()];
  const file = writeConfigFolder(dir, pki, { workers: 2, listen: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: adminPort }, log: { level: 'info' } }, [
    shopApp(upstream),
  ]);
  child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  const collect = (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p) as Record<string, unknown>);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  await eventually(() => lines.filter((l) => l.msg === 'hubgate listening').length >= 2, 20_000);
  await eventually(async () => (await fetchText(adminPort, '/readyz')).status === 200, 10_000);
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

const deliver = (n: number) => post({ port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: `{"n":${n}}`, secret: SECRET });

describe('workers: 2', () => {
  it('serves from more than one worker process on one port', async () => {
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => deliver(i)));
    expect(outcomes.filter((o) => o.kind !== 'response' || o.status !== 200)).toEqual([]);
    await eventually(() => lines.filter((l) => l.msg === 'request').length >= 40);
    const pids = new Set(lines.filter((l) => l.msg === 'request').map((l) => l.pid));
    expect(pids.size).toBeGreaterThan(1);
    expect(pids.has(child.pid)).toBe(false); // the primary holds no client connection
  });

  it('reports metrics aggregated over all workers', async () => {
    const { status, body } = await fetchText(adminPort, '/metrics');
    expect(status).toBe(200);
    const served = lines.filter((l) => l.msg === 'request' && l.status === 200).length;
    expect(body).toContain(`hubgate_requests_total{app="shop",status="200"} ${served}`);
  });

  it('keeps the process metrics per worker (CPU, memory, event-loop lag), labelled worker', async () => {
    const { body } = await fetchText(adminPort, '/metrics');
    for (const name of ['hubgate_process_cpu_seconds_total', 'hubgate_process_resident_memory_bytes', 'hubgate_nodejs_eventloop_lag_p99_seconds']) {
      const workers = [...body.matchAll(new RegExp(`^${name}\\{worker="(\\d+)"\\} `, 'gm'))].map((m) => m[1]);
      expect(new Set(workers).size, name).toBe(2);
    }
  });

  it('replaces a worker that dies, and keeps serving', async () => {
    const workerPids = [...new Set(lines.filter((l) => l.msg === 'hubgate listening').map((l) => l.pid as number))];
    const victim = workerPids[0]!;
    const before = lines.filter((l) => l.msg === 'hubgate listening').length;
    process.kill(victim, 'SIGKILL');
    await eventually(() => lines.find((l) => l.msg === 'worker died: starting a replacement' && l.worker === victim), 10_000);
    await eventually(() => lines.filter((l) => l.msg === 'hubgate listening').length > before, 20_000);
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => deliver(100 + i)));
    expect(outcomes.filter((o) => o.kind !== 'response' || o.status !== 200)).toEqual([]);
  });

  it('relays SIGHUP: every worker picks up a new app', async () => {
    writeConfigFolder(dir, pki, { workers: 2, listen: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: adminPort }, log: { level: 'info' } }, [
      { name: 'shop', path: '/webhooks/shop', upstream: `${upstream.url}/hook` },
      { name: 'orders', path: '/webhooks/orders', upstream: `${upstream.url}/orders` },
    ]);
    child.kill('SIGHUP');
    await eventually(() => lines.filter((l) => l.msg === 'configuration reloaded').length >= 3, 10_000); // primary + 2 workers
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => post({ port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/orders', body: '{}', secret: SECRET })),
    );
    expect(outcomes.map((o) => (o.kind === 'response' ? o.status : o.code))).toEqual(Array(10).fill(200));
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.filter((l) => l.msg === 'stopped').length).toBeGreaterThanOrEqual(2);
  });
});
