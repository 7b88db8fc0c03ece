// `workers: N|auto` (SPEC.md §7): the primary holds no client connection. It validates config,
// forks N workers that share the listening port (node:cluster), replaces a worker that dies,
// relays SIGHUP/SIGTERM, and serves the admin endpoint for the whole group, with metrics
// aggregated across workers (prom-client's AggregatorRegistry). It also holds the session-ticket
// keys (unless tls.ticketKeyFile provides them) and hands them to every worker, so a session
// resumes whichever worker the next connection lands on.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Gateway } from '../gateway.js';
import { createAdminServer } from '../admin/server.js';
import { reloadFromFile } from './reload.js';
import { watchConfig } from './watch.js';
import { workerCount } from './role.js';
import { TicketKeyRing } from '../tls/ticket-keys.js';
import { scheduleRotation } from '../tls/ticket-rotation.js';

export { workerCount } from './role.js';

// Ticket keys travel base64-encoded over the IPC channel (a local pipe) and are never logged.
type ToWorker = { hubgate: 'reload' } | { hubgate: 'shutdown' } | { hubgate: 'ticketKeys'; keys: string[] };
type ToPrimary = { hubgate: 'status'; notReady: string | null };

function isHubgateMessage(m: unknown): m is { hubgate: string } {
  return typeof m === 'object' && m !== null && 'hubgate' in m;
}

/** In a worker: report readiness to the primary, obey its reload and shutdown orders. */
export function attachWorker(gateway: Gateway, log: Logger, shutdown: (why: string) => void): void {
  // Constructing an AggregatorRegistry is what installs prom-client's answer to the primary's
  // metrics requests in a worker; setRegistries says which registry to answer with.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries(gateway.metrics.registry);
  let last: string | null | undefined;
  const report = () => {
    const notReady = gateway.notReadyReason();
    if (notReady === last || !process.connected) return;
    last = notReady;
    process.send!({ hubgate: 'status', notReady } satisfies ToPrimary);
  };
  // Listening before the first status report: the primary answers it with the ticket keys.
  process.on('message', (m: unknown) => {
    if (!isHubgateMessage(m)) return;
    const msg = m as ToWorker;
    if (msg.hubgate === 'reload') reloadFromFile(gateway, log);
    if (msg.hubgate === 'shutdown') shutdown('primary');
    if (msg.hubgate === 'ticketKeys') gateway.setTicketKeys(msg.keys.map((k) => Buffer.from(k, 'base64')));
  });
  report();
  setInterval(report, 500).unref();
  // The primary going away (crash, SIGKILL) must not leave orphan workers serving.
  process.on('disconnect', () => shutdown('primary exited'));
}

export async function runPrimary(config: Config, log: Logger): Promise<void> {
  const n = workerCount(config);
  const status = new Map<number, string | null>();
  const deaths: number[] = [];
  let stopping = false;
  let current = config;
  const ring = new TicketKeyRing();
  const keysFor = (): ToWorker => ({ hubgate: 'ticketKeys', keys: ring.keys.map((k) => k.toString('base64')) });
  let stopRotation = () => {};
  let period = 0;
  const rotateAsConfigured = () => {
    const wanted = current.tls.ticketKeys ? 0 : current.tls.ticketKeyRotationSeconds;
    if (wanted === period) return;
    stopRotation();
    period = wanted;
    stopRotation = wanted ? scheduleRotation(ring, wanted, () => broadcast(keysFor())) : () => {};
  };
  rotateAsConfigured();

  const fork = (): Worker => {
    const worker = cluster.fork();
    status.set(worker.id, 'starting');
    worker.on('message', (m: unknown) => {
      if (!isHubgateMessage(m) || m.hubgate !== 'status') return;
      if (status.get(worker.id) === 'starting' && worker.isConnected()) worker.send(keysFor());
      status.set(worker.id, (m as ToPrimary).notReady);
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    status.delete(worker.id);
    if (stopping) return;
    log.error({ worker: worker.process.pid, code, signal }, 'worker died: starting a replacement');
    const now = Date.now();
    deaths.push(now);
    while (deaths.length && deaths[0]! < now - 60_000) deaths.shift();
    // A crash loop (a bad config cannot be the cause: it was validated) backs off instead of spinning.
    setTimeout(() => !stopping && fork(), deaths.length > n * 3 ? 5_000 : 0).unref();
  });

  const aggregator = new AggregatorRegistry();
  const admin = createAdminServer({
    notReadyReason: () => {
      if (stopping) return 'shutting down';
      const ready = [...status.values()].filter((s) => s === null).length;
      return ready > 0 ? null : [...status.values()][0] ?? 'no worker running';
    },
    metricsText: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
  });
  await admin.listen(config.admin.port, config.admin.host);

  const broadcast = (msg: ToWorker) => {
    for (const w of Object.values(cluster.workers ?? {})) if (w?.isConnected()) w.send(msg);
  };
  const reloadAll = () => {
    // Validate once here, so a broken file is reported once and never reaches the workers.
    const summary = reloadFromFile({ config: current, reload: (next) => (current = next) }, log);
    if (!summary) return;
    broadcast({ hubgate: 'reload' });
    rotateAsConfigured();
    broadcast(keysFor());
  };
  process.on('SIGHUP', reloadAll);
  const unwatch = config.watch ? watchConfig(config, log, reloadAll) : () => {};
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    unwatch();
    stopRotation();
    log.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'draining all workers');
    broadcast({ hubgate: 'shutdown' });
    const hardStop = setTimeout(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
    }, current.limits.shutdownGraceMs + 5_000).unref();
    const waitForWorkers = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length > 0) return;
      clearInterval(waitForWorkers);
      clearTimeout(hardStop);
      void admin.close().then(() => log.flush(() => process.exit(0)));
    }, 50);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  for (let i = 0; i < n; i++) fork();
  log.info({ workers: n, admin: `${config.admin.host}:${config.admin.port}` }, 'hubgate primary started');
}
