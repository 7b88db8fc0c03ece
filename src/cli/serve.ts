// `hubgate serve --config FILE`: run the gateway until SIGTERM/SIGINT; SIGHUP reloads.
import { loadConfig, DEFAULT_CONFIG_FILE, type Config } from '../config/load.js';
import { createGateway, type Gateway } from '../gateway.js';
import { createLogger, type Logger } from '../log.js';
import { parse, guarded } from './args.js';

export interface Running {
  gateway: Gateway;
  log: Logger;
}

/** Starts a gateway from a config file and installs the process signal handlers. */
export async function serveConfig(config: Config, log: Logger = createLogger(config.log.level)): Promise<Running> {
  for (const w of config.warnings) log.warn({ warning: w }, 'configuration warning');
  const gateway = createGateway(config, { logger: log });
  await gateway.start();
  const { port, address } = gateway.address();
  log.info({ listen: `${address}:${port}`, admin: `${gateway.adminAddress().address}:${gateway.adminAddress().port}`, apps: config.apps.map((a) => a.name) }, 'hubgate listening');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
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
  process.on('SIGHUP', () => {
    try {
      const next = loadConfig(config.file);
      gateway.reload(next);
      for (const w of next.warnings) log.warn({ warning: w }, 'configuration warning');
      log.info({ apps: next.apps.map((a) => a.name) }, 'configuration reloaded');
    } catch (err) {
      // The old configuration keeps serving; the message names file and key, never a secret.
      log.error({ error: (err as Error).message }, 'reload refused: keeping the running configuration');
    }
  });
  return { gateway, log };
}

export function runServe(argv: string[]): Promise<number> {
  return guarded(async () => {
    const { values } = parse(argv, { config: { type: 'string', short: 'c', default: DEFAULT_CONFIG_FILE } });
    await serveConfig(loadConfig(values.config));
    return -1; // keep running until a signal
  });
}
