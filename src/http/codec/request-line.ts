// request-line = method SP request-target SP HTTP-version (RFC 9112 §3), read strictly: one SP
// each, no HTTP/0.9 line, version HTTP/1.0 or HTTP/1.1 only.
import { CLASS, TOKEN, TARGET, AUTHORITY, ALPHA, CR, SP, showByte, latin1 } from './chars.js';
import { ParseError } from './errors.js';
import { bareCr } from './fields.js';

/** The methods llhttp accepts on an HTTP/1.x request line (node's http.METHODS; a test keeps
 *  the two equal). Others are refused as node:http refuses them (HPE_INVALID_METHOD, 400);
 *  PRI, whose only use is the HTTP/2 preface, is refused too. */
export const METHODS: readonly string[] = Object.freeze([
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK',
  'M-SEARCH', 'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH',
  'POST', 'PROPFIND', 'PROPPATCH', 'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE',
  'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
]);
const METHOD_SET = new Set(METHODS);

/** Where the last request line's parts are. */
export class RequestLine {
  method = '';
  target = '';
  version: '1.0' | '1.1' = '1.1';
}

/** Reads `buf[start..cr)` into `out`, or says why it is refused. */
export function parseRequestLine(buf: Buffer, start: number, cr: number, maxTarget: number, out: RequestLine): ParseError | null {
  let i = start;
  while (i < cr && (CLASS[buf[i]!]! & TOKEN) !== 0) i++;
  const method = methodAt(buf, start, i);
  if (method === undefined) return new ParseError('HPE_INVALID_METHOD', i === start ? `invalid byte ${showByte(buf[i])} at the start of a request` : 'unknown method');
  if (buf[i] !== SP) return buf[i] === CR && i < cr ? bareCr() : new ParseError('HPE_INVALID_METHOD', 'method not followed by one SP');
  const t = i + 1;
  let j = t;
  for (; j < cr; j++) {
    const c = buf[j]!;
    if ((CLASS[c]! & TARGET) === 0) {
      if (c === SP) break;
      return c === CR ? bareCr() : new ParseError('HPE_INVALID_URL', `invalid byte ${showByte(c)} in the request-target`);
    }
  }
  if (j === t) return new ParseError('HPE_INVALID_URL', j === cr ? 'no request-target' : 'more than one SP before the request-target');
  if (j - t > maxTarget) return new ParseError('HPE_URI_TOO_LONG', 'request-target longer than limits.maxTargetBytes');
  if (!targetForm(buf, t, j, method === 'CONNECT')) return new ParseError('HPE_INVALID_URL', 'request-target in none of the four forms');
  // RFC 9112 §2.3 / Appendix C.1: a line without a version is HTTP/0.9, which has no headers
  // and no framing; refused rather than served.
  if (j === cr) return new ParseError('HPE_INVALID_VERSION', 'no HTTP version (an HTTP/0.9 request line)');
  const version = versionAt(buf, j + 1, cr);
  if (version instanceof ParseError) return version;
  out.method = method;
  out.target = latin1(buf, t, j);
  out.version = version;
  return null;
}

function methodAt(buf: Buffer, start: number, end: number): string | undefined {
  // The two methods hubgate serves, without building a string.
  if (end - start === 4 && buf[start] === 0x50 && buf[start + 1] === 0x4f && buf[start + 2] === 0x53 && buf[start + 3] === 0x54) return 'POST';
  if (end - start === 3 && buf[start] === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54) return 'GET';
  if (end - start > 11 || end === start) return undefined;
  const name = latin1(buf, start, end);
  return METHOD_SET.has(name) ? name : undefined;
}

const HTTP_ = [0x48, 0x54, 0x54, 0x50, 0x2f];

/** `HTTP/1.0` or `HTTP/1.1` exactly, on `buf[i..cr)`. Shared with the status line. */
export function versionAt(buf: Buffer, i: number, end: number): '1.0' | '1.1' | ParseError {
  for (let k = 0; k < 5; k++) {
    if (i + k >= end || buf[i + k] !== HTTP_[k]) {
      if (buf[i] === SP) return new ParseError('HPE_INVALID_CONSTANT', 'more than one SP before the HTTP version');
      return new ParseError('HPE_INVALID_CONSTANT', 'expected HTTP/');
    }
  }
  if (end - i > 8 && buf[i + 8] === CR) return bareCr();
  if (end - i !== 8 || buf[i + 5] !== 0x31 || buf[i + 6] !== 0x2e || (buf[i + 7] !== 0x30 && buf[i + 7] !== 0x31)) {
    return new ParseError('HPE_INVALID_VERSION', 'HTTP version other than 1.0 or 1.1');
  }
  return buf[i + 7] === 0x31 ? '1.1' : '1.0';
}

/**
 * The request-target forms of RFC 9112 §3.2, drawn exactly as wide as llhttp draws them (so
 * the two parsers accept the same targets): origin-form and asterisk-form start with "/" or
 * "*"; absolute-form is letters ":" "//" authority [path-or-query]; CONNECT takes an
 * authority. Which forms hubgate serves is the route stage's business (only origin-form).
 */
function targetForm(buf: Buffer, start: number, end: number, connect: boolean): boolean {
  if (connect) return authority(buf, start, end);
  const first = buf[start];
  if (first === 0x2f || first === 0x2a) return true;
  let i = start;
  while (i < end && (CLASS[buf[i]!]! & ALPHA) !== 0) i++;
  if (i === start || end - i < 3 || buf[i] !== 0x3a || buf[i + 1] !== 0x2f || buf[i + 2] !== 0x2f) return false;
  return authority(buf, i + 3, end);
}

function authority(buf: Buffer, i: number, end: number): boolean {
  let previous = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x2f || c === 0x3f) return true; // a path or a query follows: any visible byte
    if ((CLASS[c]! & AUTHORITY) === 0 || (c === 0x40 && previous === 0x40)) return false;
    previous = c;
  }
  return true;
}
