// Plaintext admin endpoint (SPEC.md §5), loopback by default: liveness, readiness, metrics.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface AdminSource {
  /** null when ready, else why not (shown in the 503 body). */
  notReadyReason(): string | null;
  metricsText(): Promise<{ contentType: string; body: string }>;
}

export function createAdminServer(source: AdminSource): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (path === '/healthz') return send(200, 'ok\n');
    if (path === '/readyz') {
      const why = source.notReadyReason();
      return why === null ? send(200, 'ready\n') : send(503, `not ready: ${why}\n`);
    }
    if (path === '/metrics') {
      source.metricsText().then(
        ({ contentType, body }) => send(200, body, contentType),
        () => send(500, 'metrics unavailable\n'),
      );
      return;
    }
    send(404, 'not found\n');
  });
}

export function registryText(registry: Registry): () => Promise<{ contentType: string; body: string }> {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}
