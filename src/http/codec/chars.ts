// Byte classes for the HTTP/1.1 grammar (RFC 9110 §5.6.2, RFC 9112 §2–§7), one lookup table so
// every check in the hot loops is a single indexed load and a mask.

/** tchar: a byte of a token (method, field name, transfer coding, chunk-ext name). */
export const TOKEN = 1;
/** field-vchar / SP / HTAB: a byte allowed inside a field value or a reason-phrase. obs-text
 *  (0x80–0xFF) is allowed, as RFC 9110 §5.5 and llhttp do: rejecting it would refuse real
 *  headers (names in ISO-8859-1) for no gain, and the bytes are forwarded unchanged. */
export const VALUE = 2;
/** A byte of a request-target: visible ASCII only (no SP, no CTL, no obs-text), as llhttp. */
export const TARGET = 4;
/** qdtext of a quoted-string (RFC 9110 §5.6.4), for chunk-extension values. */
export const QDTEXT = 8;
/** A byte of the authority part of an absolute-form or authority-form target, as llhttp
 *  accepts it (userinfo characters, brackets for IPv6 literals and `@`). */
export const AUTHORITY = 16;
/** ALPHA, for a URI scheme (llhttp accepts letters only there). */
export const ALPHA = 32;

export const CLASS = new Uint8Array(256);

function mark(bits: number, bytes: string): void {
  for (let i = 0; i < bytes.length; i++) CLASS[bytes.charCodeAt(i)]! |= bits;
}
function markRange(bits: number, from: number, to: number): void {
  for (let b = from; b <= to; b++) CLASS[b]! |= bits;
}

const DIGIT = '0123456789';
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
mark(TOKEN, `!#$%&'*+-.^_\`|~${DIGIT}${LETTERS}`);
mark(VALUE, '\t');
markRange(VALUE, 0x20, 0x7e);
markRange(VALUE, 0x80, 0xff);
markRange(TARGET, 0x21, 0x7e);
mark(QDTEXT, '\t !');
markRange(QDTEXT, 0x23, 0x5b);
markRange(QDTEXT, 0x5d, 0x7e);
markRange(QDTEXT, 0x80, 0xff);
mark(AUTHORITY, `${DIGIT}${LETTERS}-_.!~*'()%;:&=+$,[]@`);
mark(ALPHA, LETTERS);

/** Hex digit values, -1 for anything else (chunk-size, RFC 9112 §7.1). */
export const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x41 + i] = 10 + i;
  HEX[0x61 + i] = 10 + i;
}

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HTAB = 9;

/** A byte as it may appear in a log line: printable ASCII as itself, anything else as 0xNN. */
export function showByte(b: number | undefined): string {
  if (b === undefined) return 'end of input';
  return b > 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? `'${String.fromCharCode(b)}'` : `0x${b.toString(16).padStart(2, '0')}`;
}

/** True when `buf[start..start+lower.length)` equals `lower` ignoring ASCII case. `lower` is
 *  lower-case; `| 0x20` folds only letters here because the bytes compared are token bytes. */
export function equalsLower(buf: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((buf[start + i]! | 0x20) !== lower[i]) return false;
  }
  return true;
}

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

type Latin1Slicer = Buffer & { latin1Slice(start: number, end: number): string };

/** `buf.toString('latin1', start, end)` without the encoding lookup in between: a head makes
 *  two strings per field, and that wrapper was an eighth of a parse's time. latin1Slice is the
 *  method toString ends in (Node 20 and 24 alike). */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as Latin1Slicer).latin1Slice(start, end);
}
