// One keep-alive connection to an app over net.Socket, one exchange at a time: the request
// written in one go, the answer read by the codec's ResponseParser and relayed into the client's
// Responder as it arrives, with backpressure both ways. Reused only after a clean, complete,
// persistent answer with nothing after it; any doubt closes it.
import { connect, type Socket } from 'node:net';
import { ResponseParser, type ParseError, type ResponseEvents, type ResponseHead } from '../http/codec/index.js';
import { LazyTimer, now } from '../http/lazy-timer.js';
import { responseHeaders } from '../pipeline/forward.js';
import { refuse, type Reason } from '../refusal.js';
import type { UpstreamExchange } from './exchange.js';
import { idleTime } from './keep-alive.js';
import type { Pool } from './pool.js';

export class UpstreamConnection implements ResponseEvents {
  private readonly socket: Socket;
  private readonly parser: ResponseParser;
  private exchange: UpstreamExchange | null = null;
  /** Set by the pool when the connection goes idle (the `now()` clock). */
  idleSince = 0;
  private idleMs: number;
  private lastActivity = 0;
  private head: ResponseHead | null = null;
  private completed = false;
  private keepAlive = false;
  private fault: ParseError | null = null;
  /** Why this exchange is given up without a parse error (an unsolicited 1xx, a client gone). */
  private abandoned: string | null = null;
  private closed = false;
  /** Paused because the client reads slower than the app sends. */
  private waitingFor: UpstreamExchange | null = null;
  private readonly timer = new LazyTimer(() => this.deadline(), () => this.timedOut());
  private readonly clientDrained = (): void => this.drained();
  /** false pauses reading (the client is slower than the app); `drained` resumes it. */
  private readonly onRead = (n: number, buf: Buffer): boolean => {
    this.onData(buf.subarray(0, n));
    this.readStopped = this.waitingFor !== null;
    return !this.readStopped;
  };
  private readStopped = false;

  constructor(private readonly pool: Pool) {
    this.idleMs = pool.defaultIdleMs;
    this.parser = new ResponseParser(this);
    // Reads land in the pool's one buffer (net's `onread`): no Buffer, ArrayBuffer or stream
    // event per read. Each ArrayBuffer costs V8 a sweep, and in a mark-compact those sweeps
    // were most of the pause (measured with --trace-gc-nvp: 7–10 ms of it at 9k requests/s).
    this.socket = connect({ host: pool.host, port: pool.port, onread: { buffer: pool.readBuffer, callback: this.onRead } });
    this.socket.setNoDelay(true);
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.fail('upstream_unreachable', err.code ?? err.message));
    this.socket.on('close', () => this.fail('upstream_unreachable', 'connection closed'));
  }

  /** Still open, not closed by the app, and younger than its idle time. */
  reusable(t: number): boolean {
    return !this.closed && !this.socket.readableEnded && t < this.expiresAt();
  }

  expiresAt(): number {
    return this.idleSince + this.idleMs;
  }

  start(exchange: UpstreamExchange): void {
    this.exchange = exchange;
    this.head = null;
    this.completed = false;
    this.abandoned = null;
    exchange.sentAt = this.lastActivity = now();
    const payload = exchange.payload;
    if (Buffer.isBuffer(payload)) {
      this.socket.write(payload);
    } else {
      this.socket.cork();
      for (const piece of payload) this.socket.write(piece);
      this.socket.uncork();
    }
    this.timer.arm();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer.stop();
    this.socket.destroy();
    this.pool.remove(this);
  }

  // ---- parser events (inside parser.execute) ----

  onInterim(head: ResponseHead): void {
    // We never send `Expect: 100-continue`: a 100 is an app answering something we did not ask.
    // Other 1xx (103 Early Hints, 102) are legal and dropped; the codec bounds how many.
    if (head.status === 100) this.abandon('unsolicited 100 Continue');
  }

  onHead(head: ResponseHead): void {
    const exchange = this.exchange!;
    this.head = head;
    exchange.status = head.status;
    exchange.upstreamSeconds = (now() - exchange.sentAt) / 1000;
    const sink = exchange.sink;
    if (sink === null) return;
    if (sink.destroyed) return this.abandon('client closed the connection');
    sink.writeHead(head.status, responseHeaders(head.headers));
    exchange.headSent = true;
  }

  onBody(chunk: Buffer): void {
    const exchange = this.exchange!;
    const sink = exchange.sink;
    if (sink === null || this.abandoned !== null) return;
    // A copy: the chunk is a view into the pool's read buffer, which the next read overwrites,
    // and the client's socket may still hold it.
    if (!sink.write(Buffer.from(chunk)) && this.waitingFor === null) {
      this.waitingFor = exchange;
      sink.onceDrain(this.clientDrained);
    }
  }

  onComplete(keepAlive: boolean): void {
    this.completed = true;
    this.keepAlive = keepAlive;
    this.parser.pause();
  }

  onError(err: ParseError): void {
    this.fault = err;
  }

  private abandon(why: string): void {
    this.abandoned = why;
    this.parser.pause();
  }

  // ---- socket ----

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    // Bytes while idle: the app speaks out of turn, so nothing it sends next can be trusted.
    if (exchange === null) return this.close();
    this.lastActivity = now();
    const used = this.parser.execute(chunk);
    // Anything after a complete answer is more than the app should have sent.
    this.settleIf(exchange, used === chunk.length);
  }

  private onEnd(): void {
    const exchange = this.exchange;
    if (exchange === null) return this.close();
    // A body delimited by the close completes here; a cut one is malformed (HPE_INVALID_EOF_STATE).
    const started = this.parser.inMessage;
    this.parser.finish();
    if (!this.settleIf(exchange, false) && !started) this.fail('upstream_unreachable', 'closed before answering');
  }

  /** After the parser ran: settles the exchange if it is decided. */
  private settleIf(exchange: UpstreamExchange, clean: boolean): boolean {
    if (this.fault !== null) return this.fail('upstream_malformed', this.fault.code), true;
    if (this.abandoned !== null) {
      if (exchange.status === 0) return this.fail('upstream_malformed', this.abandoned), true;
      this.finish(exchange, false);
      return true;
    }
    if (!this.completed) return false;
    this.finish(exchange, clean && this.keepAlive);
    return true;
  }

  private finish(exchange: UpstreamExchange, reuse: boolean): void {
    this.exchange = null;
    this.waitingFor = null;
    if (this.abandoned === null) exchange.sink?.end();
    exchange.settle({ status: exchange.status, upstreamSeconds: exchange.upstreamSeconds });
    if (!reuse) return this.close();
    this.idleMs = idleTime(this.head!, this.pool.defaultIdleMs);
    if (this.idleMs <= 0) return this.close();
    this.resumeReading();
    this.pool.release(this);
  }

  /** Never reused after this. Before the app's head: a refusal (502/504). After it: the client's
   *  answer is cut short, and the status it saw start is what is recorded. */
  private fail(reason: Reason, detail: string): void {
    const exchange = this.exchange;
    this.exchange = null;
    this.close();
    if (exchange === null) return;
    if (!exchange.headSent) return exchange.settle(refuse(reason, detail));
    exchange.sink!.destroy();
    const forwarded = { status: exchange.status, upstreamSeconds: exchange.upstreamSeconds };
    // A malformed body is logged and counted as such; a reset or a stall is the app's status.
    exchange.settle(reason === 'upstream_malformed' ? { ...refuse(reason, detail), ...forwarded } : forwarded);
  }

  private drained(): void {
    const exchange = this.waitingFor;
    this.waitingFor = null;
    if (exchange === null || exchange !== this.exchange) return;
    if (exchange.sink!.destroyed) {
      // The client went away: the rest of the answer has nowhere to go, and this socket is
      // mid-answer, so it is not reused.
      this.abandon('client closed the connection');
      return this.finish(exchange, false);
    }
    this.lastActivity = now();
    this.resumeReading();
  }

  private resumeReading(): void {
    if (!this.readStopped) return;
    this.readStopped = false;
    this.socket.resume();
  }

  /** `timeoutMs` of silence: waiting for the head, or between pieces of the body. */
  private deadline(): number {
    const exchange = this.exchange;
    return exchange === null ? 0 : this.lastActivity + exchange.timeoutMs;
  }

  private timedOut(): void {
    this.fail('upstream_timeout', this.exchange?.status === 0 ? 'no answer' : 'answer stalled');
  }
}
