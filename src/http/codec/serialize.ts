// Heads we write: the answer to a client and the request to the upstream, each built as one
// string (and a small response as one Buffer, so it leaves in one write). A name that is not a
// token or a value that could end the line (CR, LF, NUL or another CTL) is refused, so nothing
// we add can split a message; fields our own parser produced are known to be clean already.
import { STATUS_TEXT } from './status-text.js';

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Anything but HTAB, SP, VCHAR and obs-text (RFC 9110 §5.5); also catches UTF-16 code units
 *  above 0xFF, which latin1 encoding would silently truncate into other bytes. */
const BAD_VALUE_RE = /[^\t\x20-\x7e\x80-\xff]/;
const TARGET_RE = /^[\x21-\x7e]+$/;
const NONE: readonly string[] = [];

export class InvalidFieldError extends TypeError {
  readonly code = 'ERR_HTTP_INVALID_FIELD';
}

/**
 * `HTTP/1.1 <status> <reason>` and the fields, ending with the empty line. `fields` is a flat
 * [name, value, …] list and is checked; `parsedFields` (written first) are copied unchecked and
 * must come from RequestParser/ResponseParser heads. Throws InvalidFieldError.
 */
export function responseHead(status: number, reason: string | undefined, fields: readonly string[], parsedFields: readonly string[] = NONE): string {
  return appendFields(appendFields(statusLine(status, reason), parsedFields, false), fields, true) + '\r\n';
}

function statusLine(status: number, reason: string | undefined): string {
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new InvalidFieldError(`status ${status} is not in 100-599`);
  const text = reason ?? STATUS_TEXT[status] ?? '';
  if (BAD_VALUE_RE.test(text)) throw new InvalidFieldError('reason-phrase holds a control character');
  return `HTTP/1.1 ${status} ${text}\r\n`;
}

/** `<method> <target> HTTP/1.1` and the fields, as responseHead. */
export function requestHead(method: string, target: string, fields: readonly string[], parsedFields: readonly string[] = NONE): string {
  if (!TOKEN_RE.test(method)) throw new InvalidFieldError('method is not a token');
  if (!TARGET_RE.test(target)) throw new InvalidFieldError('request-target holds SP, a control character or a non-ASCII byte');
  return appendFields(appendFields(`${method} ${target} HTTP/1.1\r\n`, parsedFields, false), fields, true) + '\r\n';
}

/**
 * A complete response with a short body as one Buffer: one write, one TLS record. Adds the
 * Content-Length itself (the body's byte length), so `fields` must not frame the body; a 1xx,
 * 204 or 304 gets neither a body nor a Content-Length (RFC 9110 §8.6).
 */
export function encodeResponse(status: number, reason: string | undefined, fields: readonly string[], body: string | Buffer = ''): Buffer {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!.toLowerCase();
    if (name === 'content-length' || name === 'transfer-encoding') throw new InvalidFieldError(`${fields[i]} is set by encodeResponse`);
  }
  const bodyLength = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const bodiless = status < 200 || status === 204 || status === 304;
  if (bodiless && bodyLength > 0) throw new InvalidFieldError(`a ${status} response has no body`);
  const head = `${appendFields(statusLine(status, reason), fields, true)}${bodiless ? '' : `Content-Length: ${bodyLength}\r\n`}\r\n`;
  const out = Buffer.allocUnsafe(head.length + bodyLength);
  out.write(head, 0, 'latin1');
  if (typeof body === 'string') out.write(body, head.length, 'utf8');
  else body.copy(out, head.length);
  return out;
}

/** `out` followed by one `name: value` line per field; `check` refuses what could split the message. */
export function appendFields(out: string, fields: readonly string[], check: boolean): string {
  if (fields.length % 2 !== 0) throw new InvalidFieldError('field list has a name without a value');
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (check) {
      if (!TOKEN_RE.test(name)) throw new InvalidFieldError('field name is not a token');
      if (BAD_VALUE_RE.test(value)) throw new InvalidFieldError(`value of ${name} holds a control character`);
    }
    out += `${name}: ${value}\r\n`;
  }
  return out;
}
