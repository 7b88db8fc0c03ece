// The incremental state machine shared by the request and the response parser: lines of the
// head, framing fields, Content-Length and chunked bodies, trailers, keep-alive, EOF. Bytes may
// arrive split anywhere; every split point gives the same events (test/http/split.test.ts).
import { CR, LF, latin1 } from './chars.js';
import { ParseError } from './errors.js';
import { LineReader, INCOMPLETE, OVER_BUDGET } from './lines.js';
import { FieldSpan, bareCr, scanField } from './fields.js';
import { FramingFields } from './framing.js';
import { parseChunkLine } from './chunked.js';
import type { CodecLimits, MessageHead } from './head.js';

// States that read CRLF lines come first (below S_BODY), then those that read bytes.
const S_START = 0; // before a message: empty lines, then the start line
const S_HEAD = 1; // field lines until the empty line
const S_CHUNK_LINE = 2;
const S_TRAILER = 3;
const S_BODY = 4; // `remaining` bytes of a Content-Length body
const S_UNTIL_CLOSE = 5; // a response body read until EOF
const S_CHUNK_DATA = 6;
const S_CHUNK_CR = 7; // the CRLF after chunk data
const S_CHUNK_LF = 8;
const S_CLOSED = 9; // after a message that ends the connection
const S_DONE = 10; // complete, onComplete not yet called (a pause came first)
const S_DEAD = 11; // after an error

export interface MessageEvents<H extends MessageHead> {
  /** A complete, valid head; its body (if any) follows in onBody calls, then onComplete. */
  onHead(head: H): void;
  /** Part of the body: a view into the buffer given to execute(), valid only until execute
   *  returns (copy it to keep it). Chunked framing is already removed. */
  onBody(chunk: Buffer): void;
  /** The message is complete. `keepAlive` is final: false means read nothing more from this
   *  connection (any further byte other than CR/LF is HPE_CLOSED_CONNECTION). */
  onComplete(keepAlive: boolean): void;
  /** The input is refused; the parser ignores everything after. Answer `error.status` (a
   *  request) or 502 (a response) and close the connection. */
  onError(error: ParseError): void;
}

export abstract class Http1Parser<H extends MessageHead> {
  protected head: H | null = null;
  protected readonly limits: CodecLimits;
  private state = S_START;
  private paused = false;
  private remaining = 0;
  /** Bytes the current section (head, chunk-size line, trailers) may still use. */
  private budget: number;
  private readonly lines = new LineReader();
  private readonly span = new FieldSpan();
  /** What the fields of the message being read say about framing and persistence. */
  protected readonly framing = new FramingFields();

  constructor(
    protected readonly events: MessageEvents<H>,
    limits: CodecLimits,
  ) {
    this.limits = limits;
    this.budget = limits.maxHeaderBytes;
  }

  /** Parses from `buf` and returns how many bytes were used: all of them, unless a callback
   *  called pause() (then the rest belongs to the next call) or the input was refused. */
  execute(buf: Buffer): number {
    if (this.state === S_DEAD) return 0;
    this.paused = false;
    let pos = 0;
    while (!this.paused) {
      if (this.state === S_DONE) {
        this.complete();
        continue;
      }
      if (pos >= buf.length) break;
      pos = this.state < S_BODY ? this.line(buf, pos) : this.bytes(buf, pos);
    }
    return pos;
  }

  /** Stops execute() after the current callback; call execute() again (with the bytes it did
   *  not use, possibly none) to go on. For one pipelined request at a time, pause in onComplete. */
  pause(): void {
    this.paused = true;
  }

  /** The peer closed the connection. Completes a body read until close; inside a message it
   *  reports HPE_INVALID_EOF_STATE (an early close, never mistaken for a complete message).
   *  The parser is done after this call. */
  finish(): void {
    const state = this.state;
    if (state === S_DONE || state === S_UNTIL_CLOSE) this.complete();
    else if (this.inMessage) this.fail(new ParseError('HPE_INVALID_EOF_STATE', `connection closed ${this.where()}`));
    this.state = S_DEAD;
  }

  /** A message has begun and is not complete. For a response this includes a 1xx already
   *  received: the upstream has started to answer, so the request must not be sent again. */
  get inMessage(): boolean {
    const s = this.state;
    if (s === S_DEAD) return false;
    if (s === S_START || s === S_CLOSED) return this.lines.pending > 0 || this.exchangeStarted();
    return true;
  }

  /** Reads the start line into a new head (this.head), or says why it is refused. */
  protected abstract startLine(line: Buffer, start: number, cr: number): ParseError | null;
  /** A field kept in the head, for the fields a subclass reports on its own. */
  protected abstract field(line: Buffer, nameStart: number, nameEnd: number, value: string): void;
  /** Sets framing, contentLength and keepAlive on the complete head. Returns true for a
   *  message that has a body or completion to come, false for an interim (1xx) response. */
  protected abstract decide(head: H): ParseError | boolean;
  /** Reports an interim response (the response parser's). */
  protected interim(_head: H): void {}
  /** Clears what a subclass keeps per exchange. */
  protected afterMessage(): void {}
  /** Between messages, whether part of the exchange (a 1xx) was already read. */
  protected exchangeStarted(): boolean {
    return false;
  }

  /** Body bytes, the CRLF after chunk data, stray line ends after the last message. */
  private bytes(buf: Buffer, pos: number): number {
    const state = this.state;
    if (state === S_BODY || state === S_CHUNK_DATA) {
      const n = Math.min(this.remaining, buf.length - pos);
      this.remaining -= n;
      if (this.remaining === 0) this.state = state === S_BODY ? S_DONE : S_CHUNK_CR;
      this.events.onBody(buf.subarray(pos, pos + n));
      return pos + n;
    }
    if (state === S_UNTIL_CLOSE) {
      this.events.onBody(buf.subarray(pos));
      return buf.length;
    }
    const b = buf[pos];
    if (state === S_CLOSED) {
      // Like llhttp: stray line ends after the last message are ignored, anything else is a
      // message the peer should not have sent.
      if (b === CR || b === LF) return pos + 1;
      this.fail(new ParseError('HPE_CLOSED_CONNECTION', 'data after a message that closes the connection'));
      return pos;
    }
    if (b !== (state === S_CHUNK_CR ? CR : LF)) {
      this.fail(new ParseError(state === S_CHUNK_CR ? 'HPE_CR_EXPECTED' : 'HPE_LF_EXPECTED', 'chunk data not followed by CRLF'));
      return pos;
    }
    if (state === S_CHUNK_LF) this.section(S_CHUNK_LINE, this.limits.maxChunkLineBytes);
    else this.state = S_CHUNK_LF;
    return pos + 1;
  }

  private line(buf: Buffer, pos: number): number {
    const lines = this.lines;
    const next = lines.next(buf, pos, this.budget);
    if (next < 0) {
      if (next === INCOMPLETE) return buf.length;
      if (next === OVER_BUDGET) {
        this.fail(this.overflow());
        return pos;
      }
      this.fail(new ParseError('HPE_CR_EXPECTED', 'LF not preceded by CR'));
      return lines.end;
    }
    this.budget -= lines.length;
    const { line, start, cr } = lines;
    let err: ParseError | null = null;
    switch (this.state) {
      case S_START:
        // RFC 9112 §2.2: empty lines (CRLF) before a start line are ignored; they still count
        // toward the head's size.
        if (cr !== start) {
          err = line[start] === CR ? bareCr() : this.startLine(line, start, cr);
          if (err === null) this.state = S_HEAD;
        }
        break;
      case S_HEAD:
        if (cr === start) this.headDone();
        else err = this.headField(line, start, cr);
        break;
      case S_CHUNK_LINE: {
        const size = parseChunkLine(line, start, cr);
        if (size instanceof ParseError) err = size;
        else if (size === 0) this.section(S_TRAILER, this.limits.maxHeaderBytes);
        else {
          this.remaining = size;
          this.state = S_CHUNK_DATA;
        }
        break;
      }
      default: // S_TRAILER
        if (cr === start) this.state = S_DONE;
        else err = this.trailerField(line, start, cr);
    }
    if (err !== null) this.fail(err);
    return next;
  }

  private headField(line: Buffer, start: number, cr: number): ParseError | null {
    const span = this.span;
    const err = scanField(line, start, cr, span);
    if (err !== null) return err;
    const head = this.head!;
    // Fields past the count limit are dropped from the head (as node:http's maxHeadersCount)
    // but still read for framing: the message boundary must not depend on the limit.
    if (head.headers.length < this.limits.maxHeaderCount * 2) {
      const value = latin1(line, span.valueStart, span.valueEnd);
      head.headers.push(latin1(line, start, span.nameEnd), value);
      this.field(line, start, span.nameEnd, value);
    } else {
      head.droppedHeaders++;
    }
    return this.framing.headField(line, start, cr, span);
  }

  /** Trailer fields are checked, bounded and dropped: never merged into the head, where a
   *  signature or a framing field could otherwise arrive after the body it governs. */
  private trailerField(line: Buffer, start: number, cr: number): ParseError | null {
    return scanField(line, start, cr, this.span) ?? this.framing.trailerField(line, start, this.span);
  }

  private headDone(): void {
    const head = this.head!;
    const verdict = this.decide(head);
    if (verdict instanceof ParseError) return this.fail(verdict);
    this.framing.clearHead();
    if (!verdict) {
      // llhttp applies keep-alive to a 1xx too: after `HTTP/1.1 100 …` with `Connection:
      // close`, or an HTTP/1.0 1xx, nothing more may be read.
      this.section(head.keepAlive ? S_START : S_CLOSED, this.limits.maxHeaderBytes);
      this.head = null;
      return this.interim(head);
    }
    switch (head.framing) {
      case 'none':
        this.state = S_DONE;
        break;
      case 'length':
        this.remaining = head.contentLength;
        this.state = S_BODY;
        break;
      case 'chunked':
        this.section(S_CHUNK_LINE, this.limits.maxChunkLineBytes);
        break;
      default:
        this.state = S_UNTIL_CLOSE;
    }
    this.events.onHead(head);
  }

  private complete(): void {
    const keepAlive = this.head!.keepAlive && !this.framing.trailerClose;
    this.section(keepAlive ? S_START : S_CLOSED, this.limits.maxHeaderBytes);
    this.framing.trailerClose = false;
    this.head = null;
    this.afterMessage();
    this.events.onComplete(keepAlive);
  }

  private where(): string {
    switch (this.state) {
      case S_START:
      case S_CLOSED:
        return this.lines.pending > 0 ? 'inside a start line' : 'after an interim response, before the final one';
      case S_HEAD:
        return 'inside the head';
      case S_BODY:
        return 'before the end of a Content-Length body';
      default:
        return 'inside a chunked body';
    }
  }

  private section(state: number, budget: number): void {
    this.state = state;
    this.budget = budget;
  }

  private overflow(): ParseError {
    if (this.state === S_CHUNK_LINE) return new ParseError('HPE_CHUNK_EXTENSIONS_OVERFLOW', 'chunk-size line longer than limits.maxChunkLineBytes');
    const where = this.state === S_TRAILER ? 'trailer section' : 'head';
    return new ParseError('HPE_HEADER_OVERFLOW', `${where} larger than limits.maxHeaderBytes`);
  }

  private fail(err: ParseError): void {
    this.state = S_DEAD;
    this.paused = true;
    this.lines.clear();
    this.head = null;
    this.events.onError(err);
  }
}
