// The sockets: a plain TCP front (stage 1 runs here, before any TLS byte), a TLS+HTTP server
// fed the admitted sockets, and the admin endpoint. Also the drain on shutdown.
import { createServer as createNetServer, type Server as NetServer, type Socket, type AddressInfo } from 'node:net';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { HubRequest, Responder } from '../http/exchange.js';
import { nodeRequest, nodeResponder } from '../http/node-adapter.js';
import type { TLSSocket } from 'node:tls';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../admin/metrics.js';
import { isRefusal, refuse, type Refusal } from '../refusal.js';
import { serverTlsOptions, secureContextOptions } from '../tls/server-options.js';
import { createTlsUpkeep } from '../tls/upkeep.js';
import { createAdminServer, registryText } from '../admin/server.js';
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

function httpOptions(config: Config) {
  return {
    maxHeaderSize: config.limits.maxHeaderBytes,
    headersTimeout: config.limits.headersTimeoutMs,
    requestTimeout: config.limits.requestTimeoutMs,
    keepAliveTimeout: config.limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: 500,
  };
}

function clientErrorRefusal(err: NodeJS.ErrnoException): Refusal {
  if (err.code === 'HPE_HEADER_OVERFLOW') return refuse('headers_too_large');
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return refuse('request_timeout');
  return refuse('malformed_request', err.code);
}

export function createListeners(deps: ListenerDeps) {
  const { log, metrics } = deps;
  const initial = deps.getState().config;
  const sockets = new Set<Socket>();
  const clientAddresses = new WeakMap<Socket, string>();
  const connections = new WeakMap<TLSSocket, Connection>();
  let inFlight = 0;
  let draining = false;

  const tls: HttpsServer = createHttpsServer({ ...serverTlsOptions(initial), ...httpOptions(initial) });
  const tlsUpkeep = createTlsUpkeep({
    log, metrics, ticketKeysFromPrimary: deps.ticketKeysFromPrimary === true,
    reapply: () => applyConfig(deps.getState().config),
    current: () => deps.getState().config,
  });
  Object.assign(tls, { keepAliveTimeout: initial.limits.keepAliveTimeoutMs });

  tls.prependListener('secureConnection', (socket: TLSSocket) => {
    // Node keeps the raw socket it wrapped as `_parent`; stage 1 recorded the client's address
    // (possibly from a PROXY header) on it.
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    const address = (raw && clientAddresses.get(raw)) ?? normalizeAddress(socket.remoteAddress);
    const conn = deps.onSecureConnection(socket, address);
    if (conn === null) socket.destroy();
    else connections.set(socket, conn);
  });
  tls.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    log.info({ code: err.code, remote: normalizeAddress(socket.remoteAddress) }, 'TLS handshake failed');
  });
  tls.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Only the HTTP parser's errors and timeouts are request refusals. https re-emits every
    // failed handshake here (tlsClientError logs those), and a reset or TLS alert on an open
    // connection is transport: counting either as malformed_request would bury the real ones.
    const established = connections.has(socket as TLSSocket);
    // `code` is not always a string: a DOMException (an aborted stream) carries a number.
    const code = typeof err.code === 'string' ? err.code : '';
    if (!established || !(code.startsWith('HPE_') || code === 'ERR_HTTP_REQUEST_TIMEOUT')) {
      if (established) log.info({ code: err.code, remote: normalizeAddress(socket.remoteAddress) }, 'connection error');
      return void socket.destroy();
    }
    const refusal = clientErrorRefusal(err);
    metrics.reject(refusal);
    log.warn({ stage: refusal.stage, reason: refusal.reason, detail: refusal.detail, remote: normalizeAddress(socket.remoteAddress) }, 'request refused');
    // A response already on the wire (the garbage was pipelined behind its request): writing
    // our 400 now would splice it into that response's body. Closing truncates it instead.
    const onTheWire = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true;
    if (socket.writable && !onTheWire) {
      const body = `${refusal.reason}\n`;
      socket.end(`HTTP/1.1 ${refusal.status} ${refusal.status === 408 ? 'Request Timeout' : refusal.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  });
  tls.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const conn = connections.get(req.socket as TLSSocket);
    if (!conn) return void res.destroy();
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
    if (draining) res.setHeader('connection', 'close');
    const responder = nodeResponder(res);
    deps.onRequest(nodeRequest(req), responder, conn).catch((err: Error) => {
      log.error({ err: { message: err.message, stack: err.stack } }, 'request handler failed');
      sendRefusal(responder, refuse('upstream_unreachable', 'internal error'));
    });
  });

  const front: NetServer = createNetServer({ pauseOnConnect: true }, (socket) => void admit(socket));

  async function admit(socket: Socket): Promise<void> {
    const limit = deps.getState().config.limits.maxConnections;
    if (draining || sockets.size >= limit) {
      reportConnectionRefusal(log, metrics, refuse(draining ? 'shutting_down' : 'connection_limit'), normalizeAddress(socket.remoteAddress));
      return void socket.destroy();
    }
    sockets.add(socket);
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
  const admin: HttpServer | null = deps.admin === false ? null : createAdminServer({ notReadyReason, metricsText: registryText(metrics.registry) });

  function listen(server: NetServer | HttpServer, host: string, port: number): Promise<void> {
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
    Object.assign(tls, httpOptions(config));
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
      if (admin) await listen(admin, config.admin.host, config.admin.port);
      await deps.admission?.start?.();
      await listen(front, config.listen.host, config.listen.port);
      // The TLS server never listens itself (the front hands it sockets); this starts Node's
      // header/request timeout checks, which only run once an HTTP server is "listening".
      tls.emit('listening');
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
      front.close();
      deps.admission?.stop?.();
      const deadline = Date.now() + graceMs;
      while ((inFlight > 0 || sockets.size > 0) && Date.now() < deadline) {
        tls.closeIdleConnections();
        await new Promise((r) => setTimeout(r, 25));
      }
      tls.closeAllConnections();
      for (const s of sockets) s.destroy();
      tls.close(() => undefined);
      if (admin) {
        admin.closeAllConnections();
        await new Promise<void>((r) => admin.close(() => r()));
      }
    },
  };
}

export type Listeners = ReturnType<typeof createListeners>;
