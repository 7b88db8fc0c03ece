// The sockets: a plain TCP front (stage 1 runs here, before any TLS byte), a TLS server fed the
// admitted sockets (stages 2–3 on `secureConnection`), hubgate's HTTP/1.1 engine on each
// accepted TLS connection (src/http/server.ts), and the admin endpoint. Also the drain on shutdown.
import { createServer as createNetServer, type Server as NetServer, type Socket, type AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { HubRequest, Responder } from '../http/exchange.js';
import { HttpServer as HubServer, type ProtocolFault, type ServerLimits } from '../http/server.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../admin/metrics.js';
import { isRefusal, refuse, type Refusal } from '../refusal.js';
import { serverTlsOptions, secureContextOptions } from '../tls/server-options.js';
import { createTlsUpkeep } from '../tls/upkeep.js';
import { createAdminServer, registryText, type AdminServer } from '../admin/server.js';
import { sendRefusal } from '../http/respond.js';
import { reportConnectionRefusal } from './record.js';
import type { Connection, GatewayState } from '../gateway.js';

/** Stage 1. `admit` decides on the raw TCP socket, before the TLS handshake. */
export interface Admission {
  admit(socket: Socket): Promise<{ clientAddress: string } | Refusal>;
  /** null when ready; else why not (e.g. no allowlist loaded yet). */
  notReadyReason(): string | null;
  start?(): Promise<void>;
  stop?(): void;
}

interface ListenerDeps {
  getState(): GatewayState;
  log: Logger;
  metrics: Metrics;
  admission: Admission | undefined;
  onSecureConnection(socket: TLSSocket, clientAddress: string): Connection | null;
  onRequest(req: HubRequest, res: Responder, conn: Connection): Promise<void>;
  /** false in cluster workers: the primary serves the admin endpoint for the whole group. */
  admin?: boolean;
  /** Cluster workers take their session-ticket keys from the primary. */
  ticketKeysFromPrimary?: boolean;
}

/** `::ffff:203.0.113.7` (what a dual-stack listener reports) is the IPv4 client 203.0.113.7. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function httpLimits(config: Config): ServerLimits {
  const { maxHeaderBytes, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = config.limits;
  return { maxHeaderBytes, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs };
}

/** What the HTTP engine refused on its own, as the reason codes node:http's errors had. */
export function faultRefusal(fault: ProtocolFault, conn: Connection): Refusal {
  if (fault === 'timeout') return refuse('request_timeout');
  // No answer: what follows a CONNECT head would be a tunnel's bytes, not a request.
  if (fault === 'connect') return { ...refuse('malformed_request', 'CONNECT'), status: 0 };
  if (fault !== 'no_host' && fault.code === 'HPE_HEADER_OVERFLOW') return refuse('headers_too_large');
  const detail = fault === 'no_host' ? 'no Host field' : fault.code;
  // Stage 3b: on a connection without a client certificate only Meta's verification GET may
  // pass, so anything else it sends is that refusal, parsable or not (an HTTP/0.9 line too).
  if (conn.peer === null) return refuse('client_cert_required', detail);
  return refuse('malformed_request', detail);
}

export function createListeners(deps: ListenerDeps) {
  const { log, metrics } = deps;
  const initial = deps.getState().config;
  const sockets = new Set<Socket>();
  const clientAddresses = new WeakMap<Socket, string>();
  let draining = false;

  const tls = createTlsServer(serverTlsOptions(initial));
  const tlsUpkeep = createTlsUpkeep({
    log, metrics, ticketKeysFromPrimary: deps.ticketKeysFromPrimary === true,
    reapply: () => applyConfig(deps.getState().config),
    current: () => deps.getState().config,
  });
  const http = new HubServer<Connection>(
    {
      request(req: HubRequest, res: Responder, conn: Connection) {
        deps.onRequest(req, res, conn).catch((err: Error) => {
          log.error({ err: { message: err.message, stack: err.stack } }, 'request handler failed');
          sendRefusal(res, refuse('upstream_unreachable', 'internal error'));
        });
      },
      refused(fault, conn) {
        const refusal = faultRefusal(fault, conn);
        metrics.reject(refusal);
        log.warn({ stage: refusal.stage, reason: refusal.reason, detail: refusal.detail, remote: conn.clientAddress }, 'request refused');
        return { status: refusal.status, body: `${refusal.reason}\n` };
      },
      // A reset or a TLS alert on an open connection is transport, not a refused request.
      transportError(err, conn) {
        log.info({ code: err.code, remote: conn.clientAddress }, 'connection error');
      },
    },
    httpLimits(initial),
  );

  tls.on('secureConnection', (socket: TLSSocket) => {
    // Node keeps the raw socket it wrapped as `_parent`; stage 1 recorded the client's address
    // (possibly from a PROXY header) on it.
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    const address = (raw && clientAddresses.get(raw)) ?? normalizeAddress(socket.remoteAddress);
    // Stages 2–3 before any HTTP byte is read; then HTTP/1.1 on the codec.
    const conn = deps.onSecureConnection(socket, address);
    if (conn === null) socket.destroy();
    else http.serve(socket, conn);
  });
  tls.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    log.info({ code: err.code, remote: normalizeAddress(socket.remoteAddress) }, 'TLS handshake failed');
    // tls.Server only reports a failed handshake (a timeout included): the socket is ours to end.
    socket.destroy();
  });

  const front: NetServer = createNetServer({ pauseOnConnect: true }, (socket) => void admit(socket));

  async function admit(socket: Socket): Promise<void> {
    const limit = deps.getState().config.limits.maxConnections;
    if (draining || sockets.size >= limit) {
      reportConnectionRefusal(log, metrics, refuse(draining ? 'shutting_down' : 'connection_limit'), normalizeAddress(socket.remoteAddress));
      return void socket.destroy();
    }
    sockets.add(socket);
    // Each answer leaves in one write: Nagle's algorithm would only hold it back (node:http's
    // servers set this too).
    socket.setNoDelay(true);
    metrics.connections.set(sockets.size);
    socket.once('close', () => {
      sockets.delete(socket);
      metrics.connections.set(sockets.size);
    });
    socket.on('error', () => undefined); // resets are routine; the TLS layer reports what matters
    const verdict = deps.admission
      ? await deps.admission.admit(socket).catch(() => refuse('allowlist_unavailable', 'admission failed'))
      : { clientAddress: normalizeAddress(socket.remoteAddress) };
    if (isRefusal(verdict)) {
      reportConnectionRefusal(log, metrics, verdict, normalizeAddress(socket.remoteAddress));
      return void socket.destroy();
    }
    if (socket.destroyed) return;
    clientAddresses.set(socket, verdict.clientAddress);
    tls.emit('connection', socket);
    socket.resume();
  }

  const notReadyReason = () => (draining ? 'shutting down' : deps.admission?.notReadyReason() ?? null);
  const admin: AdminServer | null = deps.admin === false ? null : createAdminServer({ notReadyReason, metricsText: registryText(metrics.registry) });

  function listen(server: NetServer, host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  function applyConfig(config: Config): void {
    tls.setSecureContext(secureContextOptions(config));
    tlsUpkeep.applied(tls, config);
    http.configure(httpLimits(config));
    metrics.serverCertExpiry.set(config.tls.notAfter.getTime() / 1000);
    metrics.trustAnchorExpiry.reset();
    for (const a of config.clientAuth.trustAnchors) {
      metrics.trustAnchorExpiry.set({ subject: a.subject, fingerprint: a.fingerprint256 }, a.notAfter.getTime() / 1000);
    }
  }

  return {
    async start(): Promise<void> {
      const config = deps.getState().config;
      applyConfig(config);
      if (admin) await admin.listen(config.admin.port, config.admin.host);
      await deps.admission?.start?.();
      await listen(front, config.listen.host, config.listen.port);
    },
    address: () => front.address() as AddressInfo,
    adminAddress: () => admin?.address() as AddressInfo,
    notReadyReason,
    applyConfig,
    setTicketKeys: tlsUpkeep.setTicketKeys,
    isDraining: () => draining,
    async stop(graceMs = deps.getState().config.limits.shutdownGraceMs): Promise<void> {
      draining = true;
      tlsUpkeep.stop();
      // From now on every answer says `Connection: close` and closes after itself.
      http.draining = true;
      front.close();
      deps.admission?.stop?.();
      const deadline = Date.now() + graceMs;
      while ((http.inFlight > 0 || sockets.size > 0) && Date.now() < deadline) {
        http.closeIdle();
        await new Promise((r) => setTimeout(r, 25));
      }
      http.closeAll();
      for (const s of sockets) s.destroy();
      tls.close(() => undefined);
      await admin?.close();
    },
  };
}

export type Listeners = ReturnType<typeof createListeners>;
