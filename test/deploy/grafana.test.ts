// deploy/grafana/hubgate.json: importable (a Prometheus data-source variable every panel uses),
// every panel expression valid PromQL by promtool's own parser, naming only metrics hubgate
// exports, and covering what an operator watches.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { exportedMetricNames, metricNames } from '../helpers/metric-names.js';

const ROOT = resolve(__dirname, '../..');
const DASHBOARD = join(ROOT, 'deploy/grafana/hubgate.json');

interface Target { refId: string; expr: string; legendFormat?: string; datasource?: unknown }
interface Panel { id: number; type: string; title: string; datasource?: unknown; targets?: Target[]; gridPos: { x: number; y: number; w: number; h: number } }
interface Dashboard { title: string; uid: string; schemaVersion: number; panels: Panel[]; templating: { list: Array<Record<string, unknown>> } }

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
const targets = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

/** Grafana's variables, replaced by what Grafana would send Prometheus. */
function concrete(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{?(job|instance)\}?/g, '.*');
}

function promtool(): string {
  if (process.env.PROMTOOL) return process.env.PROMTOOL;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'promtool'))) return join(dir, 'promtool');
  }
  throw new Error('promtool not found: run bash .ci/install-promtool (or apt-get install prometheus), or set PROMTOOL');
}

describe('the Grafana dashboard', () => {
  let exported: Set<string>;
  beforeAll(async () => {
    exported = await exportedMetricNames();
  });

  it('is importable: title, uid, schemaVersion and a Prometheus data-source variable every query uses', () => {
    expect(dashboard).toMatchObject({ title: 'hubgate', uid: 'hubgate' });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(30);
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const uses = (d: unknown) => expect(d, JSON.stringify(d)).toEqual({ type: 'prometheus', uid: '${datasource}' });
    for (const p of queryPanels) uses(p.datasource);
    for (const t of targets) uses(t.datasource);
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) uses(v.datasource);
  });

  it('gives every panel a unique id, at least one query, and a place on the 24-column grid', () => {
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of queryPanels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('writes every expression in valid PromQL (promtool check rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubgate-grafana-'));
    try {
      const rules = targets.map((t, i) => ({ record: `hubgate_dashboard:panel_${i}`, expr: concrete(t.expr) }));
      writeFileSync(join(dir, 'panels.yaml'), stringify({ groups: [{ name: 'hubgate-dashboard', rules }] }));
      execFileSync(promtool(), ['check', 'rules', 'panels.yaml'], { cwd: dir, stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('names only metrics a running gateway exports (and up)', () => {
    for (const t of targets) {
      for (const name of metricNames(concrete(t.expr))) {
        expect(name === 'up' || exported.has(name), `${t.panel}: ${name} is not exported by hubgate (see src/admin/metrics.ts)`).toBe(true);
      }
    }
  });

  it('covers deliveries, refusals, upstream latency, dedupe, events, certificates, allowlist and the processes', () => {
    const all = targets.map((t) => t.expr).join('\n');
    for (const metric of [
      'hubgate_requests_total', 'hubgate_rejections_total', 'hubgate_upstream_duration_seconds_bucket',
      'hubgate_duplicates_total', 'hubgate_dedupe_store_errors_total',
      'hubgate_events_total', 'hubgate_fanout_failures_total', 'hubgate_events_unparsed_total',
      'hubgate_trust_anchor_expiry_timestamp_seconds', 'hubgate_server_cert_expiry_timestamp_seconds', 'hubgate_client_cert_expiry_timestamp_seconds',
      'hubgate_allowlist_prefixes', 'hubgate_allowlist_last_success_timestamp_seconds',
      'hubgate_process_cpu_seconds_total', 'hubgate_process_resident_memory_bytes', 'hubgate_nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(all, metric).toContain(metric);
    }
    expect(all).toMatch(/by \(app, status\)/);
    expect(all).toMatch(/by \(stage, reason\)/);
  });

  it('splits the process panels per worker', () => {
    const processTargets = targets.filter((t) => /hubgate_(process|nodejs)_/.test(t.expr));
    expect(processTargets.length).toBeGreaterThanOrEqual(3);
    for (const t of processTargets) {
      expect(t.expr, t.panel).toMatch(/by \(instance, worker\)/);
      expect(t.legendFormat, t.panel).toContain('{{worker}}');
    }
  });
});
