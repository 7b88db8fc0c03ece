// Reading one client connection: requests parsed by the codec's RequestParser strictly one at a
// time and in order, each handed to the pipeline (HttpServer's hooks) only once the one before
// it is answered. Bytes behind the request being answered are held (bounded: past HOLD_LIMIT the
// socket stops being read), except that the next request's head is parsed as soon as it
// arrives, so garbage pipelined behind an answer is caught while that answer is on the wire.
// The answering side, timeouts and closing are server-connection.ts.
import type { Socket } from 'node:net';
import { RequestParser, type RequestEvents, type RequestHead, type ParseError } from './codec/index.js';
import type { BodySink } from './exchange.js';
import type { ServerExchange } from './server-exchange.js';
import { DISCARD_LIMIT, type HttpServer, type ProtocolFault } from './server.js';

// The body of the request at hand.
export const HOLD = 0; // the pipeline has not asked for it: its bytes are held, not parsed
export const SINK = 1; // parsed into the pipeline's BodySink
export const DISCARD = 2; // answered before it was read: parsed and dropped
export const STOPPED = 3; // refused mid-body: never read on; the connection closes after the answer
export const DONE = 4; // complete: what follows is the next request

const HOLD_LIMIT = 64 * 1024;
const EMPTY = Buffer.alloc(0);

export abstract class RequestReader<C> implements RequestEvents {
  protected readonly parser: RequestParser;
  protected exchange: ServerExchange<C> | null = null;
  protected body = DONE;
  protected sink: BodySink | null = null;
  protected discarded = 0;
  /** A head the parser just produced (it paused there). */
  private arrived: RequestHead | null = null;
  /** The next request's head, parsed while the current one is answered. */
  protected queued: RequestHead | null = null;
  protected fault: ParseError | null = null;
  /** Bytes read and not yet parsed. */
  protected held: Buffer | null = null;
  protected keepAlive = true;
  protected continueSent = false;
  /** Close once the answer in progress is complete (reload, refused body, HTTP/1.0…). */
  closeAfter = false;
  protected closing = false;
  readonly stopBody = (): void => this.stop();
  private readonly resumeBody = (): void => this.resume();
  protected readonly proceed = (): void => this.next();

  constructor(
    readonly server: HttpServer<C>,
    readonly socket: Socket,
    readonly context: C,
  ) {
    this.parser = new RequestParser(this, { maxHeaderBytes: server.limits.maxHeaderBytes });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Answers a fault of the engine's own (server-connection.ts). */
  protected abstract refuse(fault: ProtocolFault): void;
  abstract close(): void;
  /** Bytes arrived; nothing of them is parsed yet. */
  protected abstract reading(): void;
  /** A head is complete and handed over; `complete`: so is its body. */
  protected abstract began(complete: boolean): void;
  /** The request at hand is read to its end, or an answered one's unread body dropped. */
  protected abstract read(): void;
  /** Parsing went as far as it can: the connection's deadline may have moved. */
  protected abstract settled(): void;
  /** The exchange that answers `head` on this connection. */
  protected abstract exchangeFor(head: RequestHead): ServerExchange<C>;

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
    if (this.exchange === null && !this.keepAlive) this.close();
    else this.read();
  }

  onError(err: ParseError): void {
    this.fault = err;
  }

  // ---- reading ----

  private onData(chunk: Buffer): void {
    this.reading();
    if (this.held !== null) this.hold(chunk);
    else this.feed(chunk);
    this.settled();
  }

  protected feed(buf: Buffer): void {
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
    const exchange = this.exchangeFor(head);
    this.exchange = exchange;
    // A bodiless request is complete with its head; the parser says so on the next call.
    if (head.framing === 'none') this.parser.execute(EMPTY);
    this.began(this.body === DONE);
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
  protected next(): void {
    if (this.exchange === null && this.queued !== null) {
      const head = this.queued;
      this.queued = null;
      this.begin(head);
    }
    const held = this.held;
    if (held === null) return;
    this.held = null;
    if (this.socket.isPaused()) this.socket.resume();
    this.feed(held);
    this.settled();
  }
}
