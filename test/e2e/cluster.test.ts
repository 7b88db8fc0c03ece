// `workers: 2` as an operator runs it: `hubgate serve` in a child process, one port, two worker
// processes, a worker killed and replaced, /metrics aggregated over the group by the primary.
import { describe, it, expect } from 'vitest';
import { httpGet as fetchText } from '../helpers/net.js';
import { useTestbed, shopApp } from '../helpers/fixture.js';
import { useServe } from '../helpers/serve.js';
import { SECRET, eventually } from '../helpers/gateway.js';
import { post } from '../helpers/client.js';

const bed = useTestbed();
const { pki, upstream } = bed;
const group = useServe(bed, { workers: 2, apps: () => [shopApp(upstream)] });

const deliver = (n: number) => post({ port: group.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: `{"n":${n}}`, secret: SECRET });

describe('workers: 2', () => {
  it('serves from more than one worker process on one port', async () => {
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => deliver(i)));
    expect(outcomes.filter((o) => o.kind !== 'response' || o.status !== 200)).toEqual([]);
    await eventually(() => group.lines.filter((l) => l.msg === 'request').length >= 40);
    const pids = new Set(group.lines.filter((l) => l.msg === 'request').map((l) => l.pid));
    expect(pids.size).toBeGreaterThan(1);
    expect(pids.has(group.child.pid)).toBe(false); // the primary holds no client connection
  });

  it('reports metrics aggregated over all workers', async () => {
    const { status, body } = await fetchText(group.adminPort, '/metrics');
    expect(status).toBe(200);
    const served = group.lines.filter((l) => l.msg === 'request' && l.status === 200).length;
    expect(body).toContain(`hubgate_requests_total{app="shop",status="200"} ${served}`);
  });

  it('keeps the process metrics per worker (CPU, memory, event-loop lag), labelled worker', async () => {
    const { body } = await fetchText(group.adminPort, '/metrics');
    for (const name of ['hubgate_process_cpu_seconds_total', 'hubgate_process_resident_memory_bytes', 'hubgate_nodejs_eventloop_lag_p99_seconds']) {
      const workers = [...body.matchAll(new RegExp(`^${name}\\{worker="(\\d+)"\\} `, 'gm'))].map((m) => m[1]);
      expect(new Set(workers).size, name).toBe(2);
    }
  });

  it('replaces a worker that dies, and keeps serving', async () => {
    const workerPids = [...new Set(group.lines.filter((l) => l.msg === 'hubgate listening').map((l) => l.pid as number))];
    const victim = workerPids[0]!;
    const before = group.lines.filter((l) => l.msg === 'hubgate listening').length;
    process.kill(victim, 'SIGKILL');
    await eventually(() => group.lines.find((l) => l.msg === 'worker died: starting a replacement' && l.worker === victim), 10_000);
    await eventually(() => group.lines.filter((l) => l.msg === 'hubgate listening').length > before, 20_000);
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => deliver(100 + i)));
    expect(outcomes.filter((o) => o.kind !== 'response' || o.status !== 200)).toEqual([]);
  });

  it('relays SIGHUP: every worker picks up a new app', async () => {
    group.writeConfig({}, [
      { name: 'shop', path: '/webhooks/shop', upstream: `${upstream.url}/hook` },
      { name: 'orders', path: '/webhooks/orders', upstream: `${upstream.url}/orders` },
    ]);
    group.child.kill('SIGHUP');
    await eventually(() => group.lines.filter((l) => l.msg === 'configuration reloaded').length >= 3, 10_000); // primary + 2 workers
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => post({ port: group.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/orders', body: '{}', secret: SECRET })),
    );
    expect(outcomes.map((o) => (o.kind === 'response' ? o.status : o.code))).toEqual(Array(10).fill(200));
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((r) => group.child.once('exit', (code) => r(code)));
    group.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(group.lines.filter((l) => l.msg === 'stopped').length).toBeGreaterThanOrEqual(2);
  });
});
