// SIGHUP (and `watch: true`): load the config again, refuse it with the startup message if it is
// invalid (the running config keeps serving), else swap it in and log what changed — app names
// and which parts changed, never secret values.
import { createHash } from 'node:crypto';
import { loadConfig, type Config, type AppConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../admin/metrics.js';

export interface ReloadSummary {
  readonly appsAdded: string[];
  readonly appsRemoved: string[];
  readonly appsChanged: string[];
  readonly changed: string[];
}

function digest(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v)))
    .digest('hex');
}

/** What an app is, secrets included only as a hash so a rotation shows up as "changed". */
function appFingerprint(app: AppConfig): string {
  const { file: _file, ...rest } = app;
  return digest({ ...rest, secrets: app.secrets.map((s) => digest(s.toString('base64'))), verifyToken: app.verifyToken && digest(app.verifyToken.toString('base64')) });
}

export function diffConfigs(before: Config, after: Config): ReloadSummary {
  const old = new Map(before.apps.map((a) => [a.name, appFingerprint(a)]));
  const now = new Map(after.apps.map((a) => [a.name, appFingerprint(a)]));
  const sections: Array<[string, (c: Config) => unknown]> = [
    ['tls (server certificate or key)', (c) => [c.tls.certPem, digest(c.tls.keyPem)]],
    ['tls (protocol versions or ciphers)', (c) => [c.tls.policy.minVersion, c.tls.policy.ciphers]],
    // Keys only as a hash: the summary is logged.
    ['tls (session ticket keys)', (c) => [c.tls.ticketKeyFile, c.tls.ticketKeys && digest(c.tls.ticketKeys.map((k) => k.toString('base64'))), c.tls.ticketKeyRotationSeconds]],
    ['clientAuth', (c) => ({
      ...c.clientAuth,
      trustAnchors: c.clientAuth.trustAnchors.map((a) => a.fingerprint256),
      crls: c.clientAuth.crls.map((l) => l.sha256),
      crlIssuers: c.clientAuth.crlIssuers.map((i) => i.fingerprint256),
    })],
    ['allowlist', (c) => c.allowlist],
    ['proxyProtocol', (c) => c.proxyProtocol],
    ['limits', (c) => c.limits],
    ['log', (c) => c.log],
  ];
  return {
    appsAdded: [...now.keys()].filter((n) => !old.has(n)),
    appsRemoved: [...old.keys()].filter((n) => !now.has(n)),
    appsChanged: [...now.keys()].filter((n) => old.has(n) && old.get(n) !== now.get(n)),
    changed: sections.filter(([, pick]) => digest(pick(before)) !== digest(pick(after))).map(([name]) => name),
  };
}

/** Settings that only take effect on restart (the listening sockets and process layout). */
export function restartOnlyChanges(before: Config, after: Config): string[] {
  const out: string[] = [];
  if (digest(before.listen) !== digest(after.listen)) out.push('listen');
  if (digest(before.admin) !== digest(after.admin)) out.push('admin');
  if (before.workers !== after.workers) out.push('workers');
  return out;
}

export interface Reloadable {
  readonly config: Config;
  reload(next: Config): void;
  /** hubgate_reloads_total{result}: a refused reload is otherwise visible only in the log. */
  readonly metrics?: Pick<Metrics, 'reloads'>;
}

/** Returns the summary, or null when the new config was refused. */
export function reloadFromFile(target: Reloadable, log: Logger, env: NodeJS.ProcessEnv = process.env): ReloadSummary | null {
  let next: Config;
  try {
    next = loadConfig(target.config.file, env);
  } catch (err) {
    log.error({ error: (err as Error).message }, 'reload refused: keeping the running configuration');
    target.metrics?.reloads.inc({ result: 'refused' });
    return null;
  }
  const before = target.config;
  target.reload(next);
  target.metrics?.reloads.inc({ result: 'applied' });
  const summary = diffConfigs(before, next);
  const needsRestart = restartOnlyChanges(before, next);
  for (const w of next.warnings) log.warn({ warning: w }, 'configuration warning');
  log.info({ ...summary, ...(needsRestart.length ? { ignoredUntilRestart: needsRestart } : {}) }, 'configuration reloaded');
  return summary;
}
