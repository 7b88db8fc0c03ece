// `watch: true`: reload when the config file's folder, the apps folder, an app's tenantsDir (those
// configured at start), or the folder of a CRL or of the ticket key file changes (a CRL job or a
// key rotation writes there). Kubernetes updates a mounted Secret by swapping a `..data`
// symlink, which shows up as a rename in the folder, so folders are watched rather than files;
// bursts are debounced into one reload.
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';

export const WATCH_DEBOUNCE_MS = 500;

export function watchConfig(config: Config, log: Logger, onChange: () => void, debounceMs = WATCH_DEBOUNCE_MS): () => void {
  let timer: NodeJS.Timeout | undefined;
  const trigger = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const watchers: FSWatcher[] = [];
  const tenantsDirs = config.apps.flatMap((a) => (a.tenantsDir === undefined ? [] : [a.tenantsDir]));
  const dirs = [dirname(config.file), config.appsDir, ...tenantsDirs, ...config.clientAuth.crls.map((c) => dirname(c.file))];
  if (config.tls.ticketKeyFile) dirs.push(dirname(config.tls.ticketKeyFile));
  for (const dir of new Set(dirs)) {
    try {
      const w = watch(dir, { persistent: false }, trigger);
      w.on('error', (err) => log.warn({ dir, err: err.message }, 'config watch failed: reload with SIGHUP'));
      watchers.push(w);
    } catch (err) {
      log.warn({ dir, err: (err as Error).message }, 'cannot watch config folder: reload with SIGHUP');
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
