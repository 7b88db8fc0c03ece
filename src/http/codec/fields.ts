// One field line, `field-name ":" OWS field-value OWS` (RFC 9112 §5), shared by heads and
// trailer sections of requests and responses; and the framing fields read on their bytes.
import { CLASS, TOKEN, CR, SP, HTAB, showByte, equalsLower, ascii } from './chars.js';
import { ParseError } from './errors.js';

/** Where the last scanned field's name and trimmed value are, in the line's buffer. */
export class FieldSpan {
  nameEnd = 0;
  valueStart = 0;
  valueEnd = 0;
}

/** Checks a field line `buf[start..cr)` and records its spans in `out`; null when it is valid. */
export function scanField(buf: Buffer, start: number, cr: number, out: FieldSpan): ParseError | null {
  let i = start;
  while (i < cr && (CLASS[buf[i]!]! & TOKEN) !== 0) i++;
  if (i === start) return badFieldStart(buf[start]!);
  if (i === cr) return new ParseError('HPE_INVALID_HEADER_TOKEN', 'field line without a colon');
  const b = buf[i]!;
  if (b !== 0x3a) {
    if (b === SP || b === HTAB) return new ParseError('HPE_INVALID_HEADER_TOKEN', 'whitespace between field name and colon');
    return b === CR ? bareCr() : new ParseError('HPE_INVALID_HEADER_TOKEN', `invalid byte ${showByte(b)} in field name`);
  }
  out.nameEnd = i;
  i++;
  while (i < cr && (buf[i] === SP || buf[i] === HTAB)) i++;
  const valueStart = i;
  for (; i < cr; i++) {
    const c = buf[i]!;
    // VALUE, as comparisons: the hottest loop of a parse.
    if ((c < 0x20 && c !== HTAB) || c === 0x7f) {
      return c === CR ? bareCr() : new ParseError('HPE_INVALID_HEADER_TOKEN', `invalid byte ${showByte(c)} in field value`);
    }
  }
  let end = cr;
  while (end > valueStart && (buf[end - 1] === SP || buf[end - 1] === HTAB)) end--;
  out.valueStart = valueStart;
  out.valueEnd = end;
  return null;
}

function badFieldStart(b: number): ParseError {
  if (b === SP || b === HTAB) {
    // RFC 9112 §5.2: obs-fold is refused rather than unfolded; so is whitespace before the
    // first field, which some parsers join to the start line.
    return new ParseError('HPE_INVALID_HEADER_TOKEN', 'line folding (obs-fold) or whitespace at the start of a field line');
  }
  if (b === CR) return bareCr();
  return new ParseError('HPE_INVALID_HEADER_TOKEN', b === 0x3a ? 'empty field name' : `invalid byte ${showByte(b)} in field name`);
}

export function bareCr(): ParseError {
  return new ParseError('HPE_LF_EXPECTED', 'CR not followed by LF');
}

/** Content-Length = 1*DIGIT (RFC 9110 §8.6): no sign, no list, no inner space. Returns the
 *  value, or -1 when malformed or beyond 2^53 - 1 (where a JS number would lose precision). */
export function parseContentLength(buf: Buffer, start: number, end: number): number {
  if (start === end) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n > Number.MAX_SAFE_INTEGER ? -1 : n;
}

const CHUNKED = ascii('chunked');

/** The only transfer coding we accept is a lone `chunked` (any case): a request with another
 *  coding cannot be framed (RFC 9112 §6.1, §6.3), and an upstream answer with one is what
 *  issue 14 calls an unknown transfer coding. */
export function isChunked(buf: Buffer, start: number, end: number): boolean {
  return equalsLower(buf, start, end, CHUNKED);
}

const CLOSE = ascii('close');
const KEEP_ALIVE = ascii('keep-alive');
export const CONNECTION_CLOSE = 1;
export const CONNECTION_KEEP_ALIVE = 2;

/** The `close` and `keep-alive` options of a Connection value (a comma list, RFC 9110 §7.6.1). */
export function connectionOptions(buf: Buffer, start: number, end: number): number {
  let flags = 0;
  let i = start;
  while (i <= end) {
    let j = i;
    while (j < end && buf[j] !== 0x2c) j++;
    let s = i;
    let e = j;
    while (s < e && (buf[s] === SP || buf[s] === HTAB)) s++;
    while (e > s && (buf[e - 1] === SP || buf[e - 1] === HTAB)) e--;
    if (equalsLower(buf, s, e, CLOSE)) flags |= CONNECTION_CLOSE;
    else if (equalsLower(buf, s, e, KEEP_ALIVE)) flags |= CONNECTION_KEEP_ALIVE;
    i = j + 1;
  }
  return flags;
}
