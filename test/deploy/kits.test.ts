// The deployment kits are part of the product: a manifest that drifts from the gateway's ports,
// paths or metric names breaks a production rollout, not a unit test. These tests parse every
// kit and check the fields an operator relies on. No cluster, no Docker, no systemd needed.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { metricNames } from '../helpers/metric-names.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const deployDir = path.join(root, 'deploy');
const read = (rel: string): string => readFileSync(path.join(root, rel), 'utf8');

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(v)}`);
  return v;
}
function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected a list, got ${JSON.stringify(v)}`);
  return v;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}
/** Walks a dotted path through mappings: get(pod, 'spec.containers'). */
function get(v: unknown, dotted: string): unknown {
  let cur: unknown = v;
  for (const key of dotted.split('.')) cur = obj(cur, dotted)[key];
  return cur;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(e.name) ? [full] : [];
  });
}

/** Every non-empty document of a (multi-document) YAML file, failing on any parse error. */
function documents(file: string, version: '1.1' | '1.2' = '1.2'): unknown[] {
  const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'), { version, uniqueKeys: true });
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

// kubectl reads manifests as YAML 1.1 (sigs.k8s.io/yaml): 0440 is octal there.
const k8sObjects: Obj[] = yamlFiles(path.join(deployDir, 'kubernetes')).flatMap((f) =>
  documents(f, '1.1').map((d) => obj(d, f)),
);
function k8s(kind: string, name?: string): Obj {
  const found = k8sObjects.filter(
    (o) => o.kind === kind && (name === undefined || get(o, 'metadata.name') === name),
  );
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0] as Obj;
}

const deployment = (): Obj => k8s('Deployment', 'hubgate');
const podSpec = (): Obj => obj(get(deployment(), 'spec.template.spec'), 'pod spec');
const container = (): Obj => obj(arr(podSpec().containers, 'containers')[0], 'container');
/** The gateway.yaml embedded in the ConfigMap, parsed as hubgate parses it (YAML 1.2). */
function gatewayConfig(): Obj {
  const data = obj(get(k8s('ConfigMap', 'hubgate-config'), 'data'), 'ConfigMap data');
  return obj(YAML.parse(str(data['gateway.yaml'], 'gateway.yaml')), 'gateway.yaml');
}

function containerPort(name: string): number {
  const port = arr(container().ports, 'ports').map((p) => obj(p, 'port')).find((p) => p.name === name);
  return Number(obj(port, `containerPort ${name}`).containerPort);
}
function mounts(): Obj[] {
  return arr(container().volumeMounts, 'volumeMounts').map((m) => obj(m, 'volumeMount'));
}
/** The mount holding an absolute path inside the container, if any. */
function mountFor(file: string): Obj | undefined {
  return mounts()
    .filter((m) => file === m.mountPath || file.startsWith(`${str(m.mountPath, 'mountPath')}/`))
    .sort((a, b) => String(b.mountPath).length - String(a.mountPath).length)[0];
}
function volume(name: string): Obj {
  const v = arr(podSpec().volumes, 'volumes').map((x) => obj(x, 'volume')).find((x) => x.name === name);
  return obj(v, `volume ${name}`);
}

describe('every YAML file under deploy/', () => {
  const files = yamlFiles(deployDir);

  it('finds the kits', () => {
    const rel = files.map((f) => path.relative(deployDir, f)).sort();
    expect(rel).toEqual(
      expect.arrayContaining([
        'kubernetes/configmap.yaml',
        'kubernetes/deployment.yaml',
        'kubernetes/pdb.yaml',
        'kubernetes/secret-apps.example.yaml',
        'kubernetes/service.yaml',
        'prometheus/hubgate-alerts.yaml',
      ]),
    );
  });

  it.each(files.map((f) => [path.relative(root, f), f]))('parses %s without errors', (_rel, file) => {
    expect(documents(file).length).toBeGreaterThan(0);
  });

  it('gives every Kubernetes object an apiVersion, a kind and a name, and no namespace', () => {
    for (const o of k8sObjects.filter((x) => x.kind !== 'Kustomization')) {
      expect(typeof o.apiVersion, JSON.stringify(o.metadata)).toBe('string');
      expect(typeof o.kind).toBe('string');
      expect(typeof get(o, 'metadata.name')).toBe('string');
      expect(get(o, 'metadata.namespace'), 'manifests are namespace-agnostic').toBeUndefined();
    }
  });
});

describe('Kubernetes Deployment', () => {
  it('runs at least two replicas and never drops below current capacity in a rollout', () => {
    expect(Number(get(deployment(), 'spec.replicas'))).toBeGreaterThanOrEqual(2);
    expect(get(deployment(), 'spec.strategy.rollingUpdate.maxUnavailable')).toBe(0);
  });

  it('checks readiness on /readyz and liveness on /healthz, both on the admin port', () => {
    const c = container();
    expect(get(c, 'readinessProbe.httpGet.path')).toBe('/readyz');
    expect(get(c, 'livenessProbe.httpGet.path')).toBe('/healthz');
    expect(get(c, 'startupProbe.httpGet.path')).toBe('/healthz');
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      expect(get(c, `${probe}.httpGet.port`), probe).toBe('admin');
    }
    expect(containerPort('admin')).toBe(9090);
  });

  it('runs as non-root with a read-only root filesystem, no capabilities and no escalation', () => {
    const pod = obj(podSpec().securityContext, 'pod securityContext');
    const sc = obj(container().securityContext, 'container securityContext');
    expect(pod.runAsNonRoot).toBe(true);
    expect(Number(pod.runAsUser)).toBeGreaterThan(0);
    expect(sc.runAsNonRoot).toBe(true);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(get(sc, 'capabilities.drop')).toEqual(['ALL']);
    expect(sc.privileged ?? false).toBe(false);
  });

  it('mounts the apps Secret, the TLS Secret and Meta CA read-only, without subPath', () => {
    expect(get(volume('apps'), 'secret.secretName')).toBe('hubgate-apps');
    expect(get(volume('tls'), 'secret.secretName')).toBe('hubgate-tls');
    expect(get(volume('meta-ca'), 'configMap.name')).toBe('hubgate-meta-ca');
    for (const name of ['config', 'apps', 'tls', 'meta-ca', 'ticket-keys']) {
      const m = obj(mounts().find((x) => x.name === name), `mount ${name}`);
      expect(m.readOnly, name).toBe(true);
      // subPath mounts are never updated by the kubelet: a rotation would need a restart.
      expect(m.subPath, name).toBeUndefined();
    }
  });

  it('keeps secrets out of reach of other users in the pod', () => {
    for (const name of ['apps', 'tls', 'ticket-keys']) {
      const mode = Number(get(volume(name), 'secret.defaultMode'));
      expect(mode & 0o007, `${name} defaultMode ${mode.toString(8)}`).toBe(0);
      expect(mode & 0o040, `${name} group-readable for fsGroup`).toBe(0o040);
    }
  });

  it('waits for the load balancer before draining, within the grace period', () => {
    const preStop = arr(get(container(), 'lifecycle.preStop.exec.command'), 'preStop').join(' ');
    const sleepMs = Number(/setTimeout\([^,]+,\s*(\d+)\)/.exec(preStop)?.[1]);
    expect(sleepMs).toBeGreaterThan(0);
    expect(Number(podSpec().terminationGracePeriodSeconds)).toBeGreaterThan(sleepMs / 1000 + 20);
  });

  it('spreads replicas over zones and nodes', () => {
    const spread = arr(podSpec().topologySpreadConstraints, 'topologySpreadConstraints');
    expect(spread.map((s) => get(s, 'topologyKey'))).toContain('topology.kubernetes.io/zone');
    const anti = arr(
      get(podSpec(), 'affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution'),
      'podAntiAffinity',
    );
    expect(anti.map((t) => get(t, 'podAffinityTerm.topologyKey'))).toContain('kubernetes.io/hostname');
  });

  it('sets resource requests and a memory limit', () => {
    expect(get(container(), 'resources.requests.cpu')).toBeDefined();
    expect(get(container(), 'resources.requests.memory')).toBeDefined();
    expect(get(container(), 'resources.limits.memory')).toBeDefined();
  });

  it('starts hubgate on the mounted gateway.yaml', () => {
    const args = arr(container().args, 'args').map((a) => str(a, 'arg'));
    expect(args[0]).toBe('serve');
    const configPath = str(args[args.indexOf('--config') + 1], '--config');
    const m = obj(mountFor(configPath), `mount for ${configPath}`);
    expect(get(volume(str(m.name, 'name')), 'configMap.name')).toBe('hubgate-config');
    expect(path.basename(configPath)).toBe('gateway.yaml');
  });
});

describe('Kubernetes ConfigMap gateway.yaml', () => {
  it('enables PROXY protocol with at least one trusted proxy CIDR', () => {
    const pp = obj(gatewayConfig().proxyProtocol, 'proxyProtocol');
    expect(pp.enabled).toBe(true);
    const cidrs = arr(pp.trustedProxies, 'trustedProxies');
    expect(cidrs.length).toBeGreaterThan(0);
    for (const c of cidrs) expect(str(c, 'cidr')).toMatch(/^[0-9a-f.:]+\/\d{1,3}$/i);
  });

  it('listens for admin on 0.0.0.0 so probes reach it, on the probed port', () => {
    expect(get(gatewayConfig(), 'admin.host')).toBe('0.0.0.0');
    expect(get(gatewayConfig(), 'admin.port')).toBe(containerPort('admin'));
  });

  it('runs workers: auto, one per CPU of the container limit (the cgroup quota, not the node’s cores)', () => {
    expect(gatewayConfig().workers).toBe('auto');
    const cpu = str(get(container(), 'resources.limits.cpu'), 'limits.cpu');
    expect(Number(cpu.replace(/m$/, '')) / (cpu.endsWith('m') ? 1000 : 1)).toBeGreaterThanOrEqual(1);
  });

  it('listens on the container port the Service targets', () => {
    expect(get(gatewayConfig(), 'listen.port')).toBe(containerPort('https'));
    expect(containerPort('https')).toBe(8443);
  });

  it('trusts both the shipped DigiCert root and Meta’s 2025-12 CA', () => {
    const anchors = arr(get(gatewayConfig(), 'clientAuth.trustAnchors'), 'trustAnchors').map((a) =>
      str(a, 'anchor'),
    );
    expect(anchors.map((a) => path.basename(a))).toEqual(
      expect.arrayContaining(['DigiCert_High_Assurance_EV_Root_CA.pem', 'meta-outbound-api-ca-2025-12.pem']),
    );
    const digicert = anchors.find((a) => a.endsWith('DigiCert_High_Assurance_EV_Root_CA.pem')) ?? '';
    expect(digicert, 'the DigiCert root comes from the image').toBe(
      '/opt/hubgate/certs/DigiCert_High_Assurance_EV_Root_CA.pem',
    );
    const meta = anchors.find((a) => a.endsWith('meta-outbound-api-ca-2025-12.pem')) ?? '';
    expect(get(volume(str(mountFor(meta)?.name, `mount for ${meta}`)), 'configMap.name')).toBe('hubgate-meta-ca');
  });

  it('keeps the exact CN check and the allowlist cache on a writable volume', () => {
    expect(get(gatewayConfig(), 'clientAuth.commonNames')).toEqual(['client.webhooks.fbclientcerts.com']);
    const cacheFile = str(get(gatewayConfig(), 'allowlist.cacheFile'), 'cacheFile');
    const m = obj(mountFor(cacheFile), `mount for ${cacheFile}`);
    expect(m.readOnly ?? false).toBe(false);
    expect(volume(str(m.name, 'name')).emptyDir).toBeDefined();
  });

  it('points tls and apps at the mounted Secrets', () => {
    for (const [key, secret] of [
      ['tls.cert', 'hubgate-tls'],
      ['tls.key', 'hubgate-tls'],
      ['tls.ticketKeyFile', 'hubgate-ticket-keys'],
      ['apps', 'hubgate-apps'],
    ] as const) {
      const p = str(get(gatewayConfig(), key), key).replace(/\/$/, '');
      const m = obj(mountFor(p), `mount for ${key}`);
      expect(get(volume(str(m.name, 'name')), 'secret.secretName'), key).toBe(secret);
    }
  });

  it('uses only the top-level keys of SPEC.md §3', () => {
    const known = ['listen', 'tls', 'clientAuth', 'allowlist', 'proxyProtocol', 'limits', 'admin', 'log', 'workers', 'apps'];
    for (const key of Object.keys(gatewayConfig())) expect(known, key).toContain(key);
  });
});

describe('Kubernetes apps Secret example', () => {
  const secret = (): Obj => k8s('Secret', 'hubgate-apps');
  const data = (): Obj => obj(secret().stringData, 'stringData');

  it('holds at least one app file whose secret files are keys of the same Secret', () => {
    const apps = Object.keys(data()).filter((k) => /\.ya?ml$/.test(k));
    expect(apps.length).toBeGreaterThan(0);
    for (const key of apps) {
      const app = obj(YAML.parse(str(data()[key], key)), key);
      expect(app.name, key).toBeTypeOf('string');
      expect(str(app.upstream, `${key}: upstream`)).toMatch(/^http:\/\//);
      const refs = [app.appSecret, app.verifyToken, ...arr(app.previousAppSecrets ?? [], 'previousAppSecrets')];
      for (const ref of refs.filter(isObj)) {
        if (typeof ref.file === 'string') expect(Object.keys(data()), `${key}: ${ref.file}`).toContain(ref.file);
      }
    }
  });

  it('marks every secret value as a placeholder', () => {
    const values = Object.entries(data()).filter(([k]) => !/\.ya?ml$/.test(k));
    expect(values.length).toBeGreaterThan(0);
    for (const [k, v] of values) expect(str(v, k), k).toMatch(/^REPLACE_/);
  });
});

describe('Kubernetes Service', () => {
  const svc = (): Obj => k8s('Service', 'hubgate');

  it('is a LoadBalancer with TCP ports only, 443 to the TLS listener', () => {
    expect(get(svc(), 'spec.type')).toBe('LoadBalancer');
    const ports = arr(get(svc(), 'spec.ports'), 'ports').map((p) => obj(p, 'port'));
    expect(ports).toHaveLength(1);
    for (const p of ports) expect(p.protocol).toBe('TCP');
    expect(ports[0]?.port).toBe(443);
    expect(['https', 8443]).toContain(ports[0]?.targetPort);
  });

  it('keeps the client address: externalTrafficPolicy Local and PROXY protocol', () => {
    expect(get(svc(), 'spec.externalTrafficPolicy')).toBe('Local');
    const annotations = obj(get(svc(), 'metadata.annotations'), 'annotations');
    expect(annotations['service.beta.kubernetes.io/aws-load-balancer-proxy-protocol']).toBe('*');
  });

  it('never asks the load balancer to terminate TLS or speak HTTP', () => {
    const annotations = obj(get(svc(), 'metadata.annotations'), 'annotations');
    for (const key of Object.keys(annotations)) {
      expect(key).not.toMatch(/ssl-cert|ssl-ports|backend-protocol|tls-ports|certificate/);
    }
  });

  it('selects the Deployment’s pods', () => {
    expect(get(svc(), 'spec.selector')).toEqual(get(deployment(), 'spec.selector.matchLabels'));
  });
});

describe('Kubernetes PodDisruptionBudget', () => {
  it('keeps at least one replica and selects the same labels as the Deployment', () => {
    const pdb = k8s('PodDisruptionBudget');
    expect(get(pdb, 'spec.minAvailable')).toBe(1);
    const selector = obj(get(pdb, 'spec.selector.matchLabels'), 'pdb selector');
    expect(selector).toEqual(get(deployment(), 'spec.selector.matchLabels'));
    const podLabels = obj(get(deployment(), 'spec.template.metadata.labels'), 'pod labels');
    for (const [k, v] of Object.entries(selector)) expect(podLabels[k], k).toBe(v);
  });
});

describe('Kubernetes kustomization', () => {
  it('lists only files that exist, and no Secret', () => {
    const resources = arr(k8s('Kustomization').resources, 'resources').map((r) => str(r, 'resource'));
    for (const r of resources) {
      expect(existsSync(path.join(deployDir, 'kubernetes', r)), r).toBe(true);
      expect(r).not.toMatch(/secret/);
    }
  });
});

// ---- Prometheus --------------------------------------------------------------------------

// The metrics hubgate exports (SPEC.md §5, issue 4); a histogram adds _bucket/_sum/_count.
const GATEWAY_METRICS = new Set([
  'hubgate_requests_total',
  'hubgate_rejections_total',
  'hubgate_upstream_duration_seconds_bucket',
  'hubgate_upstream_duration_seconds_sum',
  'hubgate_upstream_duration_seconds_count',
  'hubgate_allowlist_prefixes',
  'hubgate_allowlist_last_success_timestamp_seconds',
  'hubgate_trust_anchor_expiry_timestamp_seconds',
  'hubgate_server_cert_expiry_timestamp_seconds',
  'hubgate_client_cert_expiry_timestamp_seconds',
  'hubgate_crl_next_update_timestamp_seconds',
  'hubgate_dedupe_store_errors_total',
  'hubgate_duplicates_total',
  'hubgate_events_total',
  'hubgate_events_unparsed_total',
  'hubgate_fanout_failures_total',
]);
const STAGES = new Set(['address', 'chain', 'identity', 'certificate', 'route', 'method', 'verify_token', 'body', 'signature', 'forward', 'dedupe']);
const alertsFile = path.join(deployDir, 'prometheus', 'hubgate-alerts.yaml');
const rules = (): Obj[] =>
  arr(obj(documents(alertsFile)[0], 'rules file').groups, 'groups').flatMap((g) =>
    arr(obj(g, 'group').rules, 'rules').map((r) => obj(r, 'rule')),
  );

describe('Prometheus alert rules', () => {
  it('finds the metric names in a PromQL expression', () => {
    expect(
      metricNames('sum by (job, le) (rate(foo_bucket{a="x{y}"}[5m])) > 5 * bar offset 1d unless on(job) absent(up == 1)'),
    ).toEqual(['foo_bucket', 'bar', 'up']);
  });

  it('gives every rule alert, expr, for, a severity, a summary and a description', () => {
    const list = rules();
    expect(list.length).toBeGreaterThan(10);
    for (const r of list) {
      const name = str(r.alert, 'alert');
      expect(str(r.expr, `${name}: expr`).trim(), name).not.toBe('');
      expect(str(r.for, `${name}: for`), name).toMatch(/^\d+[smhd]$/);
      expect(['info', 'warning', 'critical'], name).toContain(get(r, 'labels.severity'));
      expect(str(get(r, 'annotations.summary'), `${name}: summary`).length, name).toBeGreaterThan(10);
      expect(str(get(r, 'annotations.description'), `${name}: description`).length, name).toBeGreaterThan(20);
    }
  });

  it('names each alert once', () => {
    const names = rules().map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
  });

  it('uses only hubgate_ metrics that the gateway exports, and up', () => {
    for (const r of rules()) {
      for (const m of metricNames(str(r.expr, 'expr'))) {
        expect(m === 'up' || m.startsWith('hubgate_'), `${String(r.alert)}: ${m}`).toBe(true);
        if (m !== 'up') expect(GATEWAY_METRICS.has(m), `${String(r.alert)}: ${m} is not a hubgate metric`).toBe(true);
      }
    }
  });

  it('filters rejections only by the stages of SPEC.md §2', () => {
    for (const r of rules()) {
      for (const m of str(r.expr, 'expr').matchAll(/stage="([^"]+)"/g)) {
        expect(STAGES.has(m[1] ?? ''), `${String(r.alert)}: stage ${m[1]}`).toBe(true);
      }
    }
  });

  it('covers expiry, allowlist, refusal, upstream and availability alarms', () => {
    const exprs = rules().map((r) => str(r.expr, 'expr')).join('\n');
    for (const needle of [
      'hubgate_trust_anchor_expiry_timestamp_seconds',
      'hubgate_server_cert_expiry_timestamp_seconds',
      'hubgate_client_cert_expiry_timestamp_seconds',
      'hubgate_allowlist_last_success_timestamp_seconds',
      'hubgate_allowlist_prefixes',
      'stage="chain"',
      'stage="identity"',
      'stage="signature"',
      'stage="forward"',
      'status=~"502|504"',
      'up{',
      'hubgate_dedupe_store_errors_total',
      'hubgate_events_total{outcome="failed"}',
      'hubgate_fanout_failures_total',
      'hubgate_events_unparsed_total',
    ]) {
      expect(exprs, needle).toContain(needle);
    }
  });

  // promtool comes with Debian's `prometheus` package; .ci/install-promtool extracts it
  // (without installing the server). Missing promtool is a failure with the fix, never a skip.
  const promtool = process.env.PROMTOOL ?? which('promtool');
  it(
    'passes promtool check rules and the promtool unit tests',
    () => {
      if (promtool === undefined) {
        throw new Error('promtool not found: run bash .ci/install-promtool (or apt-get install prometheus), or set PROMTOOL');
      }
      const cwd = path.dirname(alertsFile);
      execFileSync(promtool as string, ['check', 'rules', 'hubgate-alerts.yaml'], { cwd, stdio: 'pipe' });
      execFileSync(promtool as string, ['test', 'rules', 'hubgate-alerts.test.yaml'], { cwd, stdio: 'pipe' });
    },
    120_000,
  );
});

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, cmd);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

// ---- Dockerfile ----------------------------------------------------------------------------

interface DockerInstruction {
  readonly op: string;
  readonly args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function dockerInstructions(text: string): DockerInstruction[] {
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  const instructions = dockerInstructions(read('deploy/docker/Dockerfile'));
  const stages = (): DockerInstruction[][] => {
    const out: DockerInstruction[][] = [];
    for (const i of instructions) {
      if (i.op === 'FROM') out.push([]);
      out[out.length - 1]?.push(i);
    }
    return out;
  };
  const runtime = (): DockerInstruction[] => stages()[stages().length - 1] ?? [];
  const args = (op: string): string[] => runtime().filter((i) => i.op === op).map((i) => i.args);

  it('builds in several stages on node 24 LTS', () => {
    expect(stages().length).toBeGreaterThanOrEqual(2);
    for (const s of stages()) expect(s[0]?.args).toMatch(/node(js)?[-:]?24/);
  });

  it('runs the final stage as a numeric non-root user', () => {
    const user = args('USER').at(-1) ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(user.split(':')[0]).not.toBe('0');
  });

  it('installs with npm ci only, and only production dependencies at runtime', () => {
    const runs = instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    expect(runs).not.toMatch(/npm (install|i)\b/);
    expect(runs).toContain('npm ci');
    expect(args('RUN').join('\n')).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(args('COPY').join('\n')).toMatch(/--from=\S+ \S*dist/);
  });

  it('health-checks /healthz on the admin port with node itself', () => {
    const hc = args('HEALTHCHECK').join(' ');
    expect(hc).toContain('CMD ["node"');
    expect(hc).toContain("host:'127.0.0.1',port:9090,path:'/healthz'");
  });

  it('exposes the listener and admin ports, stops with SIGTERM and serves /etc/hubgate/gateway.yaml', () => {
    expect(args('EXPOSE').join(' ').split(/\s+/)).toEqual(expect.arrayContaining(['8443', '9090']));
    expect(args('STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(JSON.parse(args('ENTRYPOINT')[0] ?? 'null')).toEqual(['node', 'bin/hubgate.js']);
    expect(JSON.parse(args('CMD')[0] ?? 'null')).toEqual(['serve', '--config', '/etc/hubgate/gateway.yaml']);
  });

  it('sends only the sources and shipped certificates as build context', () => {
    const ignore = read('deploy/docker/Dockerfile.dockerignore').split('\n').map((l) => l.trim());
    expect(ignore).toContain('**');
    for (const keep of ['!package.json', '!package-lock.json', '!src/**', '!bin/**', '!certs/**']) {
      expect(ignore).toContain(keep);
    }
    expect(ignore).toContain('**/*.key');
  });
});

// ---- systemd -----------------------------------------------------------------------------

/** systemd unit files: [Section] then Key=Value; a key may repeat (ExecReload=…, ExecReload=…). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section?.[1] !== undefined) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq <= 0) throw new Error(`unit file: cannot parse "${line}"`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

describe('systemd unit', () => {
  const unit = parseUnit(read('deploy/systemd/hubgate.service'));
  const service = (key: string): string[] => unit.get('Service')?.get(key) ?? [];
  const one = (key: string): string | undefined => service(key).at(-1);

  it('has Unit, Service and Install sections', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('serves the config from /etc/hubgate as an unprivileged user', () => {
    expect(one('ExecStart')).toMatch(/bin\/hubgate\.js serve --config \/etc\/hubgate\/gateway\.yaml$/);
    expect(one('User') ?? one('DynamicUser')).toBeDefined();
    expect(one('User')).not.toBe('root');
  });

  it('reloads with SIGHUP and drains on SIGTERM within a stop timeout', () => {
    expect(service('ExecReload')).toContain('/bin/kill -HUP $MAINPID');
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThan(0);
    expect(one('Restart')).toBe('on-failure');
    expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
  });

  it('sandboxes the service', () => {
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('AmbientCapabilities')).toBe('');
    expect(one('RestrictAddressFamilies')).toBe('AF_INET AF_INET6 AF_UNIX');
    expect(one('SystemCallFilter')).toBe('@system-service');
    // V8's JIT needs W+X pages: this option would crash node.
    expect(one('MemoryDenyWriteExecute')).toBeUndefined();
  });

  it('gives the allowlist cache a state directory', () => {
    expect(one('StateDirectory')).toBe('hubgate');
  });
});

describe('docs/deploy.md', () => {
  const doc = read('docs/deploy.md');

  it('explains scaling out behind an L4 load balancer', () => {
    expect(doc).toMatch(/^## Scaling out$/m);
    // The build context is the repository root.
    expect(doc).toMatch(/docker build -f deploy\/docker\/Dockerfile( -t \S+)? \.$/m);
    expect(doc).toContain('meta-outbound-api-ca-2025-12.pem');
  });
});
