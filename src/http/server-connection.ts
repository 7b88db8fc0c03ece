// One client connection: requests read by the codec's RequestParser strictly one at a time and
// in order, each answered through a ServerExchange before the next one is handed over. Bytes
// that arrive behind the request being answered are held (bounded: past HOLD_LIMIT the socket
// stops being read), except that the next request's head is parsed as soon as it arrives, so
// garbage pipelined behind an answer is caught while that answer is on the wire.
import type { Socket } from 'node:net';
import { RequestParser, type RequestEvents, type RequestHead, type ParseError } from './codec/index.js';
import type { BodySink } from './exchange.js';
import { ServerExchange } from './server-exchange.js';
import { ResponseOutput } from './response-output.js';
import { LazyTimer, now } from './lazy-timer.js';
import { DISCARD_LIMIT, LINGER_MS, type HttpServer, type ProtocolFault } from './server.js';

// The body of the request at hand.
const HOLD = 0; // the pipeline has not asked for it: its bytes are held, not parsed
const SINK = 1; // parsed into the pipeline's BodySink
const DISCARD = 2; // answered before it was read: parsed and dropped
const STOPPED = 3; // refused mid-body: never read on; the connection closes after the answer
const DONE = 4; // complete: what follows is the next request

// What the connection's one timer watches.
const HEAD = 0; // a head is due: headersTimeoutMs (a new connection starts here)
const BODY = 1; // the body is due: requestTimeoutMs from the head's start
const BUSY = 2; // the request is in; the pipeline answers (bounded by upstreamTimeoutMs)
const IDLE = 3; // between requests: keepAliveTimeoutMs
const LINGER = 4; // closing: LINGER_MS

const HOLD_LIMIT = 64 * 1024;
const EMPTY = Buffer.alloc(0);

export class ServerConnection<C> implements RequestEvents {
  private readonly parser: RequestParser;
  readonly out: ResponseOutput;
  private exchange: ServerExchange<C> | null = null;
  private body = DONE;
  private sink: BodySink | null = null;
  private discarded = 0;
  /** A head the parser just produced (it paused there). */
  private arrived: RequestHead | null = null;
  /** The next request's head, parsed while the current one is answered. */
  private queued: RequestHead | null = null;
  private fault: ParseError | null = null;
  /** Bytes read and not yet parsed. */
  private held: Buffer | null = null;
  private keepAlive = true;
  private continueSent = false;
  /** Close once the answer in progress is complete (reload, refused body, HTTP/1.0…). */
  closeAfter = false;
  private closing = false;
  private phase = HEAD;
  private since = now();
  private readonly timer = new LazyTimer(() => this.deadline(), () => this.expire());
  private drainWaiter: (() => void) | null = null;
  readonly stopBody = (): void => this.stop();
  private readonly resumeBody = (): void => this.resume();
  private readonly proceed = (): void => this.next();

  constructor(
    readonly server: HttpServer<C>,
    readonly socket: Socket,
    readonly context: C,
  ) {
    this.parser = new RequestParser(this, { maxHeaderBytes: server.limits.maxHeaderBytes });
    this.out = new ResponseOutput(socket);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
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

  // ---- parser events (called inside parser.execute) ----

  onHead(head: RequestHead): void {
    this.arrived = head;
    this.parser.pause();
  }

  onBody(chunk: Buffer): void {
    if (this.body === SINK) return this.sink!.data(chunk);
    this.discarded += chunk.length;
    if (this.discarded > DISCARD_LIMIT) this.close();
  }

  onComplete(keepAlive: boolean): void {
    this.parser.pause();
    this.keepAlive &&= keepAlive;
    const was = this.body;
    this.body = DONE;
    if (was === SINK) {
      const sink = this.sink!;
      this.sink = null;
      sink.end();
    }
    if (this.exchange !== null) this.enter(BUSY);
    else if (!this.keepAlive) this.close();
    else this.enter(IDLE, now());
  }

  onError(err: ParseError): void {
    this.fault = err;
  }

  // ---- reading ----

  private onData(chunk: Buffer): void {
    if (this.phase === IDLE) this.enter(HEAD, now());
    if (this.held !== null) this.hold(chunk);
    else this.feed(chunk);
    this.timer.arm();
  }

  private feed(buf: Buffer): void {
    for (;;) {
      // Closing, or the request ends the connection: nothing after it is read.
      if (this.closing || this.body === STOPPED || (this.body === DONE && !this.keepAlive)) return;
      if (this.body === HOLD || this.queued !== null) return this.hold(buf);
      const used = this.parser.execute(buf);
      if (this.fault !== null) return this.refuse(this.fault);
      buf = used === buf.length ? EMPTY : buf.subarray(used);
      const head = this.arrived;
      if (head !== null) {
        this.arrived = null;
        if (this.exchange !== null) this.queued = head;
        else this.begin(head);
      } else if (buf.length === 0) {
        return;
      }
    }
  }

  private hold(buf: Buffer): void {
    if (buf.length === 0) return;
    this.held = this.held === null ? buf : Buffer.concat([this.held, buf]);
    if (this.held.length > HOLD_LIMIT) this.socket.pause();
  }

  /** A complete head: the consumer's rules of the codec, then the pipeline. */
  private begin(head: RequestHead): void {
    if (head.method === 'CONNECT') return this.refuse('connect');
    if (head.hostCount === 0 && head.version === '1.1') return this.refuse('no_host');
    this.keepAlive = head.keepAlive;
    this.continueSent = false;
    this.body = HOLD;
    const exchange = new ServerExchange(this, head);
    this.exchange = exchange;
    // A bodiless request is complete with its head; the parser says so on the next call.
    if (head.framing === 'none') this.parser.execute(EMPTY);
    this.enter(this.body === DONE ? BUSY : BODY);
    this.server.inFlight += 1;
    this.server.hooks.request(exchange, exchange, this.context);
  }

  /** `HubRequest.readBody` of the exchange at hand. */
  readBody(exchange: ServerExchange<C>, sink: BodySink): () => void {
    if (exchange !== this.exchange || this.sink !== null) throw new Error('the body of this request is not readable');
    this.sink = sink;
    if (this.body === HOLD) {
      this.body = SINK;
      // RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` may wait for this.
      if (exchange.head.expectContinue && exchange.head.version === '1.1') {
        this.continueSent = true;
        this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      }
    }
    // Delivered from a microtask: the caller has not got the stop function back yet.
    queueMicrotask(this.resumeBody);
    return this.stopBody;
  }

  private resume(): void {
    const sink = this.sink;
    if (sink === null) return;
    if (this.body === DONE) {
      this.sink = null;
      return sink.end();
    }
    if (this.socket.destroyed) {
      this.sink = null;
      return sink.abort();
    }
    this.next();
  }

  /** The pipeline stopped reading (over the size limit): nothing more is read. */
  private stop(): void {
    if (this.body !== SINK) return;
    this.body = STOPPED;
    this.sink = null;
    this.closeAfter = true;
    this.parser.pause();
  }

  /** Goes on with what was held back: the queued head, then the bytes behind it. */
  private next(): void {
    if (this.exchange === null && this.queued !== null) {
      const head = this.queued;
      this.queued = null;
      this.since = now();
      this.begin(head);
    }
    const held = this.held;
    if (held === null) return;
    this.held = null;
    if (this.socket.isPaused()) this.socket.resume();
    this.feed(held);
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
  private refuse(fault: ProtocolFault): void {
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
