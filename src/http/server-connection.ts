// One client connection, the answering side: the head of each answer (`Connection: close` or
// keep-alive), what follows an answer (the next request, an unread body dropped, or the close),
// the engine's own refusals, and the connection's one timer for every deadline. Reading the
// requests is request-reader.ts; one request and its answer, server-exchange.ts.
import type { Socket } from 'node:net';
import { DISCARD_LIMIT, LINGER_MS, type HttpServer, type ProtocolFault } from './server.js';
import { ServerExchange } from './server-exchange.js';
import { ResponseOutput } from './response-output.js';
import { LazyTimer, now } from './lazy-timer.js';
import { RequestReader, HOLD, SINK, DISCARD, STOPPED, DONE } from './request-reader.js';
import type { RequestHead } from './codec/index.js';

// What the connection's one timer watches.
const HEAD = 0; // a head is due: headersTimeoutMs (a new connection starts here)
const BODY = 1; // the body is due: requestTimeoutMs from the head's start
const BUSY = 2; // the request is in; the pipeline answers (bounded by upstreamTimeoutMs)
const IDLE = 3; // between requests: keepAliveTimeoutMs
const LINGER = 4; // closing: LINGER_MS

export class ServerConnection<C> extends RequestReader<C> {
  readonly out: ResponseOutput;
  private phase = HEAD;
  private since = now();
  private readonly timer = new LazyTimer(() => this.deadline(), () => this.expire());
  private drainWaiter: (() => void) | null = null;

  constructor(server: HttpServer<C>, socket: Socket, context: C) {
    super(server, socket, context);
    this.out = new ResponseOutput(socket);
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => server.hooks.transportError(err, context));
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.drained());
    this.timer.arm();
  }

  /** Between requests, with nothing read of the next one. */
  get idle(): boolean {
    return this.exchange === null && this.body === DONE && this.queued === null && this.held === null && !this.parser.inMessage && !this.closing;
  }

  // ---- where the reading stands, for the timer ----

  protected reading(): void {
    if (this.phase === IDLE) this.enter(HEAD, now());
  }

  protected began(complete: boolean): void {
    // A head held back behind the previous answer starts its clock now.
    if (this.phase !== HEAD && this.phase !== BODY) this.since = now();
    this.enter(complete ? BUSY : BODY);
  }

  protected read(): void {
    if (this.exchange !== null) this.enter(BUSY);
    else this.enter(IDLE, now());
  }

  protected exchangeFor(head: RequestHead): ServerExchange<C> {
    return new ServerExchange(this, head);
  }

  protected settled(): void {
    this.timer.arm();
  }

  // ---- answers ----

  /** Decided as the answer's head is written: `Connection: close` or keep-alive. */
  willClose(): boolean {
    if (this.closeAfter || !this.keepAlive || this.server.draining) return (this.closeAfter = true);
    if (this.body === DONE) return false;
    // Answered before its body was read: the body is dropped to keep the connection only when
    // it is small and surely coming (no 100 Continue owed, so the client is not left waiting).
    const head = this.exchange!.head;
    const discard = !(head.expectContinue && !this.continueSent) && head.framing === 'length' && head.contentLength <= DISCARD_LIMIT;
    return (this.closeAfter = !discard);
  }

  connectionFields(): string {
    return this.willClose() ? 'Connection: close\r\n' : this.server.keepAliveFields;
  }

  /** The exchange's answer is complete (its last bytes are queued on the socket). */
  answered(exchange: ServerExchange<C>): void {
    if (exchange !== this.exchange) return;
    this.exchange = null;
    this.server.inFlight -= 1;
    if (this.closeAfter || this.body === STOPPED) return this.close();
    if (this.body === HOLD || this.body === SINK) {
      this.sink = null;
      this.body = DISCARD;
      this.discarded = 0;
      this.enter(BODY);
    } else {
      this.enter(this.parser.inMessage || this.queued !== null ? HEAD : IDLE, now());
    }
    if (this.queued !== null || this.held !== null) queueMicrotask(this.proceed);
    this.timer.arm();
  }

  onceDrain(listener: () => void): void {
    if (this.socket.destroyed) return void process.nextTick(listener);
    this.drainWaiter = listener;
  }

  private drained(): void {
    const waiter = this.drainWaiter;
    this.drainWaiter = null;
    waiter?.();
  }

  // ---- refusals, timeouts, closing ----

  /** Answers a fault of the engine's own and closes, never splicing into an answer on the wire. */
  protected refuse(fault: ProtocolFault): void {
    const answer = this.server.hooks.refused(fault, this.context);
    const exchange = this.exchange;
    if (exchange !== null && this.body === DONE) {
      // Garbage behind a request being answered. An answer already on the wire is cut (its
      // client sees it incomplete, never completed with our 400); one not started yet is still
      // given, and nothing follows it. Either way the garbage gets no answer of its own: its
      // client would take it for the answer to the request before.
      this.closeAfter = true;
      if (exchange.headersSent) this.destroy();
      return;
    }
    if (exchange !== null) {
      // The request at hand is malformed or late in its body: the pipeline learns that the body
      // went nowhere, and the answer is the engine's.
      this.exchange = null;
      exchange.abandon();
      this.server.inFlight -= 1;
      const sink = this.sink;
      this.sink = null;
      this.body = STOPPED;
      sink?.abort();
      if (exchange.headersSent) return this.destroy();
    }
    if (answer.status !== 0) this.out.refusal(answer.status, answer.body);
    this.close();
  }

  private deadline(): number {
    const limits = this.server.limits;
    switch (this.phase) {
      case HEAD:
        return this.since + Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
      case BODY:
        return this.since + limits.requestTimeoutMs;
      case IDLE:
        return this.since + limits.keepAliveTimeoutMs;
      case LINGER:
        return this.since + LINGER_MS;
      default:
        return 0;
    }
  }

  private expire(): void {
    if (this.phase === IDLE) return this.close();
    if (this.phase === LINGER || this.exchange === null && this.phase === BODY) return this.destroy();
    this.refuse('timeout');
  }

  private enter(phase: number, since?: number): void {
    this.phase = phase;
    if (since !== undefined) this.since = since;
  }

  /** Ends the connection after what is queued: our FIN, then reading (and dropping) a while so
   *  the client reads the answer rather than a reset caused by its own unread bytes. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.closeAfter = true;
    this.held = null;
    this.out.flush();
    this.socket.end();
    if (this.socket.isPaused()) this.socket.resume();
    this.enter(LINGER, now());
    this.timer.arm();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The client finished sending: a request cut inside its head is refused (nothing to answer). */
  private onEnd(): void {
    if (this.closing || this.exchange !== null || this.body !== DONE) return;
    this.parser.finish();
    if (this.fault !== null) this.refuse(this.fault);
  }

  private onClose(): void {
    this.timer.stop();
    this.closing = true;
    this.server.connections.delete(this);
    const exchange = this.exchange;
    this.exchange = null;
    if (exchange !== null && !exchange.finished) {
      exchange.abandon();
      this.server.inFlight -= 1;
    }
    const sink = this.sink;
    this.sink = null;
    if (sink !== null && this.body === SINK) sink.abort();
    this.drained();
  }
}
