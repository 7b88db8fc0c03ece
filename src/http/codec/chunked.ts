// The chunk-size line of the chunked coding (RFC 9112 §7.1, §7.1.1):
//   chunk-size [ chunk-ext ] CRLF,  chunk-ext = *( ";" token [ "=" ( token / quoted-string ) ] )
// Extensions are checked and dropped (we honour none). Whitespace around ";" and "=" (the RFC's
// BWS) is refused, as llhttp does: accepting it would make us the more lenient of two parsers.
import { CLASS, HEX, TOKEN, QDTEXT, VALUE, CR, SP, HTAB, showByte } from './chars.js';
import { ParseError } from './errors.js';
import { bareCr } from './fields.js';

/** The chunk size on `buf[start..cr)`, or why the line is refused. */
export function parseChunkLine(buf: Buffer, start: number, cr: number): number | ParseError {
  let size = 0;
  let i = start;
  for (; i < cr; i++) {
    const d = HEX[buf[i]!]!;
    if (d < 0) break;
    size = size * 16 + d;
  }
  if (i === start) return badSize(at(buf, i, cr));
  if (size > Number.MAX_SAFE_INTEGER) return new ParseError('HPE_INVALID_CHUNK_SIZE', 'chunk size beyond 2^53 - 1');
  if (i === cr) return size;
  if (buf[i] !== 0x3b) return badSize(buf[i]);
  const err = checkExtensions(buf, i, cr);
  return err ?? size;
}

/** The byte at `i`, or undefined at the end of the line (so a missing part is not a bare CR). */
function at(buf: Buffer, i: number, cr: number): number | undefined {
  return i < cr ? buf[i] : undefined;
}

function badSize(b: number | undefined): ParseError {
  if (b === undefined) return new ParseError('HPE_INVALID_CHUNK_SIZE', 'missing chunk size');
  if (b === CR) return bareCr();
  if (b === SP || b === HTAB) return new ParseError('HPE_INVALID_CHUNK_SIZE', 'whitespace after the chunk size');
  return new ParseError('HPE_INVALID_CHUNK_SIZE', `invalid byte ${showByte(b)} in chunk size`);
}

/** `buf[i]` is the first ";". */
function checkExtensions(buf: Buffer, i: number, cr: number): ParseError | null {
  while (i < cr) {
    i++; // the ";"
    const nameStart = i;
    while (i < cr && (CLASS[buf[i]!]! & TOKEN) !== 0) i++;
    if (i === nameStart) return badExtension(at(buf, i, cr), 'name');
    if (i < cr && buf[i] === 0x3d) {
      i++;
      i = buf[i] === 0x22 ? quotedString(buf, i + 1, cr) : tokenValue(buf, i, cr);
      if (i < 0) return badExtension(at(buf, -i - 1, cr), 'value');
    }
    if (i < cr && buf[i] !== 0x3b) return badExtension(buf[i], 'list');
  }
  return null;
}

/** Returns the position after the token, or -(position of the bad byte) - 1. */
function tokenValue(buf: Buffer, i: number, cr: number): number {
  const from = i;
  while (i < cr && (CLASS[buf[i]!]! & TOKEN) !== 0) i++;
  return i === from ? -i - 1 : i;
}

/** `i` is after the opening quote. Returns the position after the closing quote, or -(bad) - 1. */
function quotedString(buf: Buffer, i: number, cr: number): number {
  while (i < cr) {
    const c = buf[i]!;
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      if (i + 1 >= cr || (CLASS[buf[i + 1]!]! & VALUE) === 0) return -(i + 1) - 1;
      i += 2;
    } else if ((CLASS[c]! & QDTEXT) !== 0) {
      i++;
    } else {
      return -i - 1;
    }
  }
  return -cr - 1;
}

function badExtension(b: number | undefined, where: 'name' | 'value' | 'list'): ParseError {
  if (b === CR) return bareCr();
  const what = where === 'list' ? 'after a chunk extension' : `in a chunk-extension ${where}`;
  return new ParseError('HPE_STRICT', b === undefined ? `missing chunk-extension ${where}` : `invalid byte ${showByte(b)} ${what}`);
}
