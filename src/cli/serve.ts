// `hubgate serve --config FILE`: run the gateway until SIGTERM/SIGINT; SIGHUP (or a change of
// the config folder with `watch: true`) reloads. `workers` > 1 runs a node:cluster group.
import { loadConfig, DEFAULT_CONFIG_FILE, type Config } from '../config/load.js';
import { createGateway, type Gateway } from '../gateway.js';
import { createLogger, type Logger } from '../log.js';
import { reloadFromFile } from '../server/reload.js';
import { watchConfig } from '../server/watch.js';
import { clusterWorkerId, workerCount } from '../server/role.js';
import { parse, guarded } from './args.js';

export interface Running {
  gateway: Gateway;
  log: Logger;
}

/** Starts a gateway (a single process, or one cluster worker) and its signal handling. */
export async function serveConfig(config: Config, log: Logger = createLogger(config.log.level)): Promise<Running> {
  const inWorker = clusterWorkerId() !== undefined;
  if (!inWorker) for (const w of config.warnings) log.warn({ warning: w }, 'configuration warning');
  const gateway = createGateway(config, { logger: log, admin: !inWorker });
  await gateway.start();
  const { port, address } = gateway.address();
  log.info({ listen: `${address}:${port}`, admin: inWorker ? 'primary' : `${gateway.adminAddress().address}:${gateway.adminAddress().port}`, apps: config.apps.map((a) => a.name) }, 'hubgate listening');

  let stopping = false;
  let unwatch = () => {};
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    unwatch();
    log.info({ signal }, 'draining: no new connections, finishing in-flight requests');
    gateway.stop().then(
      () => {
        log.info('stopped');
        log.flush(() => process.exit(0));
      },
      (err: Error) => {
        log.error({ err: err.message }, 'shutdown failed');
        log.flush(() => process.exit(1));
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  if (inWorker) {
    const { attachWorker } = await import('../server/cluster.js');
    attachWorker(gateway, log, shutdown);
  } else {
    process.on('SIGHUP', () => reloadFromFile(gateway, log));
    if (config.watch) unwatch = watchConfig(config, log, () => reloadFromFile(gateway, log));
  }
  return { gateway, log };
}

export function runServe(argv: string[]): Promise<number> {
  return guarded(async () => {
    const { values } = parse(argv, { config: { type: 'string', short: 'c', default: DEFAULT_CONFIG_FILE } });
    const config = loadConfig(values.config);
    const log = createLogger(config.log.level);
    if (clusterWorkerId() === undefined && workerCount(config) > 1) {
      for (const w of config.warnings) log.warn({ warning: w }, 'configuration warning');
      const { runPrimary } = await import('../server/cluster.js');
      await runPrimary(config, log);
    } else {
      await serveConfig(config, log);
    }
    return -1; // keep running until a signal
  });
}
