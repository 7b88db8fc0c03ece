// The upstream side: parses the app's answers on a keep-alive connection to it. Stricter than
// the parsers on either side of the hop (issue 14): an answer that is not well-formed HTTP/1.1
// is an error, never a status passed on.
import { CLASS, VALUE, CR, SP, showByte, latin1 } from './chars.js';
import { ParseError } from './errors.js';
import { bareCr } from './fields.js';
import { Http1Parser, type MessageEvents } from './parser.js';
import { ResponseHead, codecLimits, type CodecLimits } from './head.js';
import { versionAt } from './request-line.js';

export interface ResponseEvents extends MessageEvents<ResponseHead> {
  /** A 1xx answer other than 101 (100 Continue, 103 Early Hints): the final answer follows.
   *  It has no body; what to do with it is the consumer's choice (hubgate drops it). */
  onInterim(head: ResponseHead): void;
}

/**
 * One per upstream connection. Feed it what the socket reads with execute() and call finish()
 * when the socket ends. The request's method is not asked for: hubgate forwards only GET and
 * POST, so a HEAD or CONNECT exchange (whose answers are framed differently) never happens.
 */
export class ResponseParser extends Http1Parser<ResponseHead> {
  private interimCount = 0;

  constructor(
    protected override readonly events: ResponseEvents,
    limits: Partial<CodecLimits> = {},
  ) {
    super(events, codecLimits(limits));
  }

  /** status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] (RFC 9112 §4). A missing SP
   *  before an empty reason ("HTTP/1.1 200") is accepted, as llhttp 9.4 does: nothing else
   *  could be meant, and the reason is never used for anything. */
  protected startLine(line: Buffer, start: number, cr: number): ParseError | null {
    const version = versionAt(line, start, Math.min(start + 8, cr));
    if (version instanceof ParseError) return version;
    if (line[start + 8] !== SP) return new ParseError('HPE_INVALID_VERSION', 'HTTP version not followed by SP');
    let status = 0;
    for (let i = start + 9; i < start + 12; i++) {
      const d = line[i]! - 0x30;
      if (i >= cr || d < 0 || d > 9) return new ParseError('HPE_INVALID_STATUS', 'status code is not three digits');
      status = status * 10 + d;
    }
    // RFC 9110 §15: every valid status code is in 100..599.
    if (status < 100 || status > 599) return new ParseError('HPE_INVALID_STATUS', 'status code outside 100-599');
    let reason = '';
    if (start + 12 < cr) {
      const after = line[start + 12];
      if (after !== SP) return after === CR ? bareCr() : new ParseError('HPE_INVALID_STATUS', 'status code not followed by SP');
      for (let i = start + 13; i < cr; i++) {
        const c = line[i]!;
        if ((CLASS[c]! & VALUE) === 0) return c === CR ? bareCr() : new ParseError('HPE_INVALID_STATUS', `invalid byte ${showByte(c)} in the reason-phrase`);
      }
      reason = latin1(line, start + 13, cr);
    }
    const head = new ResponseHead();
    head.version = version;
    head.status = status;
    head.reason = reason;
    this.head = head;
    return null;
  }

  protected field(): void {}

  protected decide(head: ResponseHead): ParseError | boolean {
    if (this.framing.chunked && head.version === '1.0') return new ParseError('HPE_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding in an HTTP/1.0 response');
    const status = head.status;
    if (status < 200) {
      head.keepAlive = this.framing.persistent(head.version);
      // We never ask to switch protocols; a 101 would hand the connection to the app.
      if (status === 101) return new ParseError('HPE_INVALID_STATUS', '101 Switching Protocols was not asked for');
      if (++this.interimCount > this.limits.maxInterimResponses) return new ParseError('HPE_INVALID_STATUS', 'more 1xx responses than limits.maxInterimResponses');
      return false;
    }
    // RFC 9112 §6.3: a 1xx, 204 or 304 answer ends with its head, whatever fields it carries.
    if (status === 204 || status === 304) {
      head.framing = 'none';
      head.contentLength = 0;
    } else if (this.framing.chunked) {
      head.framing = 'chunked';
    } else if (this.framing.contentLength >= 0) {
      head.contentLength = this.framing.contentLength;
      head.framing = this.framing.contentLength > 0 ? 'length' : 'none';
    } else {
      head.framing = 'close';
    }
    head.keepAlive = head.framing !== 'close' && this.framing.persistent(head.version);
    return true;
  }

  protected override interim(head: ResponseHead): void {
    this.events.onInterim(head);
  }

  protected override afterMessage(): void {
    this.interimCount = 0;
  }

  protected override exchangeStarted(): boolean {
    return this.interimCount > 0;
  }
}
