// The client-facing HTTP/1.1 engine: serves requests on sockets someone else accepted (the
// listener hands it TLS sockets that passed stages 1–3), with the codec in src/http/codec.
// This file is the registry of open connections and the settings they share; one connection
// is server-connection.ts, one request and its answer server-exchange.ts. Why not node:http:
// docs/decisions/0004-data-path.md.
import type { Socket } from 'node:net';
import type { ParseError } from './codec/index.js';
import type { HubRequest, Responder } from './exchange.js';
import { ServerConnection } from './server-connection.js';

/** What the engine refuses on its own, before or between the pipeline's requests. */
export type ProtocolFault =
  | ParseError
  /** headersTimeoutMs or requestTimeoutMs passed. */
  | 'timeout'
  /** HTTP/1.1 without Host (RFC 9112 §3.2). */
  | 'no_host'
  /** CONNECT: what follows would be a tunnel; we never open one. */
  | 'connect';

/** How the engine's refusals are judged, answered and recorded: the listener's business. */
export interface ServerHooks<C> {
  /** A complete request head; the body is read through `req.readBody`. */
  request(req: HubRequest, res: Responder, context: C): void;
  /** Records (log line, metric) what the engine refused and says how to answer: `status` 0
   *  closes without an answer. Called once per fault. */
  refused(fault: ProtocolFault, context: C): { status: number; body: string };
  /** A transport error on an established connection (reset, TLS alert): not a refusal. */
  transportError(err: NodeJS.ErrnoException, context: C): void;
}

export interface ServerLimits {
  readonly maxHeaderBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** An unread request body up to this size is read and dropped after the answer, to keep the
 *  connection; a larger one (or an unknown chunked one that grows past it) closes it instead. */
export const DISCARD_LIMIT = 64 * 1024;
/** After a `Connection: close` answer the socket is kept reading (and dropping) this long, so
 *  the client reads our answer before a reset could discard it (nginx's lingering close). */
export const LINGER_MS = 2_000;

export class HttpServer<C> {
  readonly connections = new Set<ServerConnection<C>>();
  /** Requests handed to `hooks.request` whose answer has not ended and whose connection is
   *  open: what a drain waits for. */
  inFlight = 0;
  /** Answers carry `Connection: close`, and idle connections are closed as they turn idle. */
  draining = false;
  limits: ServerLimits;
  /** `Connection: keep-alive` and the idle timeout we keep, so a client's pool can expire a
   *  socket before we close it (the stale-socket race, from the client's side). Built once
   *  per configuration, not per answer. */
  keepAliveFields = '';

  constructor(
    readonly hooks: ServerHooks<C>,
    limits: ServerLimits,
  ) {
    this.limits = limits;
    this.configure(limits);
  }

  /** New limits apply to connections accepted from now on (and the idle hint to every answer). */
  configure(limits: ServerLimits): void {
    this.limits = limits;
    this.keepAliveFields = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(limits.keepAliveTimeoutMs / 1000)}\r\n`;
  }

  /** Starts HTTP/1.1 on a socket whose TLS handshake (and identity check) is done. */
  serve(socket: Socket, context: C): void {
    this.connections.add(new ServerConnection(this, socket, context));
  }

  /** Closes every connection that is between requests (SIGTERM drain). */
  closeIdle(): void {
    for (const c of this.connections) if (c.idle) c.close();
  }

  closeAll(): void {
    for (const c of this.connections) c.close();
  }
}
