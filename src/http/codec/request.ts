// The server side: parses requests from a client connection, pipelined or not.
import { equalsLower } from './chars.js';
import { ParseError } from './errors.js';
import { Http1Parser, type MessageEvents } from './parser.js';
import { RequestHead, NAMES, codecLimits, type CodecLimits } from './head.js';
import { RequestLine, parseRequestLine } from './request-line.js';

export type RequestEvents = MessageEvents<RequestHead>;

/**
 * One per client connection. Feed it what the socket reads with execute(); it calls
 * `events.onHead` once per request, `onBody` with the decoded body, `onComplete` at the end of
 * each request, `onError` once if the input is refused (then answer error.status and close).
 */
export class RequestParser extends Http1Parser<RequestHead> {
  private readonly requestLine = new RequestLine();

  constructor(events: RequestEvents, limits: Partial<CodecLimits> = {}) {
    super(events, codecLimits(limits));
  }

  protected startLine(line: Buffer, start: number, cr: number): ParseError | null {
    const rl = this.requestLine;
    const err = parseRequestLine(line, start, cr, this.limits.maxTargetBytes, rl);
    if (err !== null) return err;
    const head = new RequestHead();
    head.method = rl.method;
    head.target = rl.target;
    head.version = rl.version;
    this.head = head;
    return null;
  }

  protected field(line: Buffer, nameStart: number, nameEnd: number, value: string): void {
    const head = this.head!;
    switch (nameEnd - nameStart) {
      case 4:
        if (equalsLower(line, nameStart, nameEnd, NAMES.host) && head.hostCount++ === 0) head.host = value;
        break;
      case 6:
        if (equalsLower(line, nameStart, nameEnd, NAMES.expect) && value.length === 12 && value.toLowerCase() === '100-continue') {
          head.expectContinue = true;
        }
        break;
      case 19:
        if (equalsLower(line, nameStart, nameEnd, NAMES.hubSignature) && head.hubSignatureCount++ === 0) head.hubSignature = value;
        break;
    }
  }

  protected decide(head: RequestHead): ParseError | boolean {
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means its framing is faulty.
    if (this.framing.chunked && head.version === '1.0') return new ParseError('HPE_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding in an HTTP/1.0 request');
    head.keepAlive = this.framing.persistent(head.version);
    if (head.method === 'CONNECT') {
      // What follows a CONNECT head is a tunnel, not a body (RFC 9110 §9.3.6); we never open
      // one, so the connection ends with this request.
      head.framing = 'none';
      head.contentLength = 0;
      head.keepAlive = false;
    } else if (this.framing.chunked) {
      head.framing = 'chunked';
    } else {
      head.contentLength = this.framing.contentLength > 0 ? this.framing.contentLength : 0;
      head.framing = head.contentLength > 0 ? 'length' : 'none';
    }
    return true;
  }
}
