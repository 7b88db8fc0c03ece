// Which metric names hubgate exports, from two sources that must agree with the dashboard, the
// alert rules and docs/: the live /metrics of a running test gateway (with Node's process
// metrics, as `serve` runs it) and the definitions in src/admin/metrics.ts, so that metrics
// registered on first use (the allowlist gauges) count too.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { loadConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/admin/metrics.js';
import { createTestPki } from './pki.js';
import { writeConfigFolder } from './gateway.js';
import { httpGet } from './net.js';

const METRICS_SOURCE = resolve(__dirname, '../../src/admin/metrics.ts');
const PROMQL_WORDS = new Set([
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan',
]);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of s.matchAll(/(?<![\w:.$])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (name !== undefined && call === undefined && !PROMQL_WORDS.has(name.toLowerCase())) names.push(name);
  }
  return names;
}

/** The series names a metric of this type exposes. */
function series(name: string, type: string): string[] {
  if (type === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}

/** `# TYPE name type` lines of Prometheus text → series names. */
export function namesInExposition(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) for (const s of series(m[1]!, m[2]!)) out.add(s);
  return out;
}

/** Every metric src/admin/metrics.ts defines (`new Counter({ name: '…' })` and the like). */
export function definedMetricNames(): Map<string, string> {
  const text = readFileSync(METRICS_SOURCE, 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name: '([^']+)'/g)) out.set(m[2]!, m[1]!.toLowerCase());
  return out;
}

/** Node's process metrics as prom-client names them with our prefix (not ours to document one by one). */
export async function defaultMetricNames(): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hubgate_' });
  return namesInExposition(await registry.metrics());
}

/** What a running gateway's /metrics exposes, as `hubgate serve` builds it. */
export async function liveMetricNames(): Promise<Set<string>> {
  const pki = await createTestPki();
  const dir = mkdtempSync(join(tmpdir(), 'hubgate-metrics-'));
  const file = writeConfigFolder(dir, pki, { log: { level: 'silent' } }, [{ name: 'shop', path: '/webhooks/shop', upstream: 'http://127.0.0.1:9/hook' }]);
  const gateway = createGateway(loadConfig(file, {}), { logger: createLogger('silent'), metrics: createMetrics() });
  await gateway.start();
  try {
    const { status, body } = await httpGet(gateway.adminAddress().port, '/metrics');
    if (status !== 200) throw new Error(`/metrics answered ${status}`);
    return namesInExposition(body);
  } finally {
    await gateway.stop(2_000);
    rmSync(dir, { recursive: true, force: true });
    pki.cleanup();
  }
}

/** Live names plus every defined one: all a dashboard or an alert may name. */
export async function exportedMetricNames(): Promise<Set<string>> {
  const names = await liveMetricNames();
  for (const [name, type] of definedMetricNames()) for (const s of series(name, type)) names.add(s);
  return names;
}
