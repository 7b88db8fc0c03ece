// Plaintext admin endpoint (SPEC.md §5), loopback by default: liveness, readiness, metrics. It
// runs on hubgate's own HTTP/1.1 engine over a plain TCP listener, like the data path does over
// TLS, so a gateway never loads node:http (about 9 MiB of resident memory on Node 24, issue 10).
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Registry } from 'prom-client';
import type { HubRequest, Responder } from '../http/exchange.js';
import { HttpServer, type ProtocolFault } from '../http/server.js';

export interface AdminSource {
  /** null when ready, else why not (shown in the 503 body). */
  notReadyReason(): string | null;
  metricsText(): Promise<{ contentType: string; body: string }>;
}

export interface AdminServer {
  listen(port: number, host: string): Promise<void>;
  address(): AddressInfo;
  close(): Promise<void>;
}

/** node:http's defaults, which this endpoint had: a scraper is local and quick. */
const LIMITS = { maxHeaderBytes: 16 * 1024, headersTimeoutMs: 60_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 5_000 };
const TEXT = 'text/plain; charset=utf-8';

function answer(res: Responder, status: number, body: string, type = TEXT): void {
  res.send(status, ['content-type', type, 'cache-control', 'no-store'], body);
}

function route(req: HubRequest, res: Responder, source: AdminSource): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'method not allowed\n');
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  if (path === '/healthz') return answer(res, 200, 'ok\n');
  if (path === '/readyz') {
    const why = source.notReadyReason();
    return why === null ? answer(res, 200, 'ready\n') : answer(res, 503, `not ready: ${why}\n`);
  }
  if (path === '/metrics') {
    source.metricsText().then(
      ({ contentType, body }) => answer(res, 200, body, contentType),
      () => answer(res, 500, 'metrics unavailable\n'),
    );
    return;
  }
  answer(res, 404, 'not found\n');
}

function refusal(fault: ProtocolFault): { status: number; body: string } {
  if (fault === 'connect') return { status: 0, body: '' };
  if (fault === 'timeout') return { status: 408, body: 'request timeout\n' };
  return { status: fault === 'no_host' ? 400 : fault.status, body: 'bad request\n' };
}

export function createAdminServer(source: AdminSource): AdminServer {
  const http = new HttpServer<null>({ request: (req, res) => route(req, res, source), refused: refusal, transportError: () => undefined }, LIMITS);
  const tcp: Server = createServer((socket) => http.serve(socket, null));
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ port, host }, () => {
          tcp.off('error', reject);
          resolve();
        });
      }),
    address: () => tcp.address() as AddressInfo,
    close: () =>
      new Promise((resolve) => {
        http.closeAll();
        for (const c of http.connections) c.destroy();
        tcp.close(() => resolve());
      }),
  };
}

export function registryText(registry: Registry): () => Promise<{ contentType: string; body: string }> {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}
