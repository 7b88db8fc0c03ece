// What the fields of one message say about its framing and its connection, read on their bytes
// as each field line is parsed: Content-Length, Transfer-Encoding, Connection. One per parser,
// cleared after every head.
import { HTAB, equalsLower } from './chars.js';
import { ParseError } from './errors.js';
import { parseContentLength, isChunked, connectionOptions, CONNECTION_CLOSE, CONNECTION_KEEP_ALIVE, type FieldSpan } from './fields.js';
import { NAMES, type HttpVersion } from './head.js';

export class FramingFields {
  /** The Content-Length value, -1 when there was none. */
  contentLength = -1;
  /** A (lone, valid) `Transfer-Encoding: chunked` was read. */
  chunked = false;
  private connection = 0;
  /** A trailer section said `Connection: close`. */
  trailerClose = false;

  /** Reads a head field (already checked by scanField) if it is a framing or Connection field. */
  headField(line: Buffer, start: number, cr: number, span: FieldSpan): ParseError | null {
    const { nameEnd, valueStart, valueEnd } = span;
    switch (nameEnd - start) {
      case 10:
      case 16:
        if (equalsLower(line, start, nameEnd, NAMES.connection) || equalsLower(line, start, nameEnd, NAMES.proxyConnection)) {
          // llhttp reads Proxy-Connection as Connection; so do we, never to keep alive longer.
          this.connection |= connectionOptions(line, valueStart, valueEnd);
        }
        return null;
      case 14:
        if (!equalsLower(line, start, nameEnd, NAMES.contentLength)) return null;
        return tabAfter(line, valueEnd, cr) ?? this.setContentLength(line, valueStart, valueEnd);
      case 17:
        if (!equalsLower(line, start, nameEnd, NAMES.transferEncoding)) return null;
        return tabAfter(line, valueEnd, cr) ?? this.setTransferEncoding(line, valueStart, valueEnd);
      default:
        return null;
    }
  }

  /** Reads a trailer field: framing fields there are errors (RFC 9110 §6.5.1: they govern a
   *  body already read), and a `close` option ends the connection as llhttp lets it. */
  trailerField(line: Buffer, start: number, span: FieldSpan): ParseError | null {
    const { nameEnd } = span;
    if (equalsLower(line, start, nameEnd, NAMES.contentLength)) return new ParseError('HPE_INVALID_CONTENT_LENGTH', 'Content-Length in a trailer section');
    if (equalsLower(line, start, nameEnd, NAMES.transferEncoding)) return new ParseError('HPE_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding in a trailer section');
    if (equalsLower(line, start, nameEnd, NAMES.connection) || equalsLower(line, start, nameEnd, NAMES.proxyConnection)) {
      if ((connectionOptions(line, span.valueStart, span.valueEnd) & CONNECTION_CLOSE) !== 0) this.trailerClose = true;
    }
    return null;
  }

  /** Persistence from the version and the Connection options (RFC 9112 §9.3): `close`
   *  always wins; HTTP/1.0 persists only with `keep-alive`. */
  persistent(version: HttpVersion): boolean {
    if ((this.connection & CONNECTION_CLOSE) !== 0) return false;
    return version === '1.1' || (this.connection & CONNECTION_KEEP_ALIVE) !== 0;
  }

  /** After a head: what a trailer section may still say is kept until the message ends. */
  clearHead(): void {
    this.contentLength = -1;
    this.chunked = false;
    this.connection = 0;
  }

  private setContentLength(line: Buffer, start: number, end: number): ParseError | null {
    if (this.contentLength !== -1) return new ParseError('HPE_UNEXPECTED_CONTENT_LENGTH', 'more than one Content-Length field');
    if (this.chunked) return new ParseError('HPE_INVALID_CONTENT_LENGTH', 'Content-Length together with Transfer-Encoding');
    const n = parseContentLength(line, start, end);
    if (n < 0) return new ParseError('HPE_INVALID_CONTENT_LENGTH', 'Content-Length is not one integer below 2^53');
    this.contentLength = n;
    return null;
  }

  private setTransferEncoding(line: Buffer, start: number, end: number): ParseError | null {
    if (this.chunked) return new ParseError('HPE_INVALID_TRANSFER_ENCODING', 'more than one Transfer-Encoding field');
    if (this.contentLength !== -1) return new ParseError('HPE_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding together with Content-Length');
    if (!isChunked(line, start, end)) return new ParseError('HPE_INVALID_TRANSFER_ENCODING', 'transfer coding other than a lone chunked');
    this.chunked = true;
    return null;
  }
}

/** A framing field's value may be followed by SP but not HTAB: llhttp 9.3 refuses both
 *  `Content-Length: 5<HTAB>` and `Transfer-Encoding: chunked<HTAB>` (9.4 still the second), and
 *  on framing we take the narrowest reading of the parsers around us. */
function tabAfter(line: Buffer, valueEnd: number, cr: number): ParseError | null {
  for (let i = valueEnd; i < cr; i++) {
    if (line[i] === HTAB) return new ParseError('HPE_INVALID_HEADER_TOKEN', 'HTAB after a Content-Length or Transfer-Encoding value');
  }
  return null;
}
