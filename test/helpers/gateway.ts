// Starts a real gateway on loopback from a real config folder (written to a temp dir and read
// by the real loader), with its log lines captured for assertions.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/config/load.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/admin/metrics.js';
import type { TestPki } from './pki.js';

export const SECRET = 'test-app-secret-0123456789';

export interface AppSpec {
  name: string;
  path: string;
  upstream: string;
  host?: string;
  appSecret?: unknown;
  previousAppSecrets?: unknown[];
  verifyToken?: unknown;
  [key: string]: unknown;
}

export interface Harness {
  gateway: Gateway;
  config: Config;
  port: number;
  adminPort: number;
  dir: string;
  logs: Array<Record<string, unknown>>;
  rawLog(): string;
  writeConfig(gatewayOverrides?: Record<string, unknown>, apps?: AppSpec[]): string;
  stop(): Promise<void>;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
      ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

export function writeConfigFolder(dir: string, pki: TestPki, overrides: Record<string, unknown> = {}, apps: AppSpec[] = []): string {
  mkdirSync(join(dir, 'apps'), { recursive: true });
  const gateway = deepMerge(
    {
      listen: { host: '127.0.0.1', port: 0 },
      tls: { cert: pki.serverCertFile, key: pki.serverKeyFile },
      clientAuth: { trustAnchors: [pki.rootFile] },
      admin: { host: '127.0.0.1', port: 0 },
      log: { level: 'debug' },
      apps: 'apps/',
    },
    overrides,
  );
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, stringify(gateway));
  for (const app of apps) {
    writeFileSync(join(dir, 'apps', `${app.name}.yaml`), stringify({ appSecret: { value: SECRET }, ...app }));
  }
  return file;
}

export async function startGateway(
  pki: TestPki,
  apps: AppSpec[],
  overrides: Record<string, unknown> = {},
  options: Omit<GatewayOptions, 'logger' | 'metrics'> = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'hubgate-gw-'));
  const file = writeConfigFolder(dir, pki, overrides, apps);
  const config = loadConfig(file, {});
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (s: string) => void lines.push(s) });
  const gateway = createGateway(config, { ...options, logger, metrics: createMetrics({ defaultMetrics: false }) });
  await gateway.start();
  return {
    gateway,
    config,
    port: gateway.address().port,
    adminPort: gateway.adminAddress().port,
    dir,
    get logs() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    rawLog: () => lines.join(''),
    writeConfig: (o = overrides, a = apps) => writeConfigFolder(dir, pki, o, a),
    async stop() {
      await gateway.stop(2_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `predicate` holds or `ms` pass (log lines are written asynchronously). */
export async function eventually<T>(fn: () => T | undefined | false, ms = 3_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `run` against a gateway of its own, always stopped after. */
export async function withGateway(
  pki: TestPki, apps: AppSpec[], overrides: Record<string, unknown>, run: (gw: Harness) => Promise<void>,
): Promise<void> {
  const gw = await startGateway(pki, apps, overrides);
  try {
    await run(gw);
  } finally {
    await gw.stop();
  }
}
