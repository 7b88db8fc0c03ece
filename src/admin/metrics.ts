// Every metric name and label, in one place (SPEC.md §5). One registry per gateway, so tests
// can run several gateways side by side.
import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';
import type { Refusal } from '../refusal.js';
import { clusterWorkerId } from '../server/role.js';

// prom-client's index also loads its Pushgateway, and with it node:http, node:https and zlib
// (about 6 MiB of a 64 MiB budget, issue 10): the five modules used here are taken directly.
const require = createRequire(import.meta.url);
const Registry = require('prom-client/lib/registry.js') as typeof Prom.Registry;
const Counter = require('prom-client/lib/counter.js') as typeof Prom.Counter;
const Gauge = require('prom-client/lib/gauge.js') as typeof Prom.Gauge;
const Histogram = require('prom-client/lib/histogram.js') as typeof Prom.Histogram;
const collectDefaultMetrics = require('prom-client/lib/defaultMetrics.js') as typeof Prom.collectDefaultMetrics;
type Counter<T extends string = string> = Prom.Counter<T>;
type Gauge<T extends string = string> = Prom.Gauge<T>;
type Histogram<T extends string> = Prom.Histogram<T>;
type Registry = Prom.Registry;

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'app' | 'status'>;
  readonly rejections: Counter<'stage' | 'reason'>;
  readonly upstreamDuration: Histogram<'app'>;
  /** Registered on first use, so a gateway without an allowlist exports no "0 prefixes". */
  allowlist(): { readonly prefixes: Gauge; readonly lastSuccess: Gauge };
  readonly trustAnchorExpiry: Gauge<'subject' | 'fingerprint'>;
  readonly serverCertExpiry: Gauge;
  readonly crlNextUpdate: Gauge<'issuer'>;
  readonly clientCertExpiry: Gauge;
  readonly connections: Gauge;
  readonly duplicates: Counter<'app'>;
  readonly dedupeStoreErrors: Counter;
  /** SPEC §9: events by destination (`tenant`: a tenant, a fan-out destination, or `upstream`). */
  readonly events: Counter<'app' | 'tenant' | 'outcome'>;
  readonly eventsUnparsed: Counter<'app'>;
  readonly fanOutFailures: Counter<'app' | 'destination'>;
  readonly reloads: Counter<'result'>;
  reject(refusal: Refusal): void;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  // In a cluster worker, the process metrics (CPU, memory, event-loop lag) carry `worker`: the
  // primary's aggregated /metrics then keeps one series per worker instead of summing them.
  const worker = clusterWorkerId();
  const labels = worker !== undefined ? { worker: String(worker) } : undefined;
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'hubgate_', ...(labels && { labels }) });
  let allowlistGauges: { prefixes: Gauge; lastSuccess: Gauge } | undefined;
  const rejections = new Counter({
    name: 'hubgate_rejections_total',
    help: 'Requests and connections refused, by pipeline stage and reason code',
    labelNames: ['stage', 'reason'] as const,
    registers,
  });
  return {
    registry,
    rejections,
    requests: new Counter({
      name: 'hubgate_requests_total',
      help: 'HTTP responses sent, by app and status',
      labelNames: ['app', 'status'] as const,
      registers,
    }),
    upstreamDuration: new Histogram({
      name: 'hubgate_upstream_duration_seconds',
      help: 'Time from forwarding a request to the upstream response headers',
      labelNames: ['app'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers,
    }),
    allowlist() {
      allowlistGauges ??= {
        prefixes: new Gauge({ name: 'hubgate_allowlist_prefixes', help: 'Prefixes in the active allowlist', registers, aggregator: 'min' }),
        // With several workers each fetches its own list: the oldest success is the one to alert on.
        lastSuccess: new Gauge({
          name: 'hubgate_allowlist_last_success_timestamp_seconds',
          help: 'Unix time of the last accepted allowlist fetch',
          registers,
          aggregator: 'min',
        }),
      };
      return allowlistGauges;
    },
    trustAnchorExpiry: new Gauge({
      name: 'hubgate_trust_anchor_expiry_timestamp_seconds',
      help: 'notAfter of each configured trust anchor',
      labelNames: ['subject', 'fingerprint'] as const,
      registers,
      aggregator: 'min', // the same in every worker: summing would be nonsense
    }),
    crlNextUpdate: new Gauge({
      name: 'hubgate_crl_next_update_timestamp_seconds',
      help: 'nextUpdate of the freshest configured CRL of each issuing CA (clientAuth.crls)',
      labelNames: ['issuer'] as const,
      registers,
      aggregator: 'min',
    }),
    serverCertExpiry: new Gauge({
      name: 'hubgate_server_cert_expiry_timestamp_seconds',
      help: 'notAfter of the served TLS certificate',
      registers,
      aggregator: 'min',
    }),
    clientCertExpiry: new Gauge({
      name: 'hubgate_client_cert_expiry_timestamp_seconds',
      help: 'notAfter of the last verified client certificate',
      registers,
      aggregator: 'max',
    }),
    connections: new Gauge({ name: 'hubgate_connections', help: 'Open client connections', registers }),
    duplicates: new Counter({
      name: 'hubgate_duplicates_total',
      help: 'Retried deliveries answered without forwarding',
      labelNames: ['app'] as const,
      registers,
    }),
    dedupeStoreErrors: new Counter({
      name: 'hubgate_dedupe_store_errors_total',
      help: 'Dedupe store failures (the delivery was forwarded anyway)',
      registers,
    }),
    events: new Counter({
      name: 'hubgate_events_total',
      help: 'Meta events by app, destination (tenant, fan-out or upstream) and outcome: delivered, duplicate, failed',
      labelNames: ['app', 'tenant', 'outcome'] as const,
      registers,
    }),
    eventsUnparsed: new Counter({
      name: 'hubgate_events_unparsed_total',
      help: 'POST bodies of event-reading apps that were not a Meta notification, forwarded whole to the app upstream',
      labelNames: ['app'] as const,
      registers,
    }),
    fanOutFailures: new Counter({
      name: 'hubgate_fanout_failures_total',
      help: 'Deliveries a fan-out destination that is not required did not take (not retried by hubgate)',
      labelNames: ['app', 'destination'] as const,
      registers,
    }),
    reloads: new Counter({
      name: 'hubgate_reloads_total',
      help: 'Configuration reloads, by result',
      labelNames: ['result'] as const,
      registers,
    }),
    reject(refusal: Refusal) {
      rejections.inc({ stage: refusal.stage, reason: refusal.reason });
    },
  };
}
