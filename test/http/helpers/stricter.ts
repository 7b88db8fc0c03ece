// Where llhttp (node:http's parser, in Node 20 or 24) accepts what the RFC forbids and we refuse
// on purpose. Each class names the rule it enforces and tests, on the text of the refused
// message and our error code, that our refusal really is that rule firing. The differential
// fuzz lets an input through only if it is in one of these classes; every other input must
// get the same answer from both parsers. Keep this list as short as the facts allow.
import type { Kind, Message } from './collect.js';

export type ClassName =
  | 'bare-cr-lf'
  | 'request-line-whitespace'
  | 'version'
  | 'transfer-coding'
  | 'chunk-extension'
  | 'reason-phrase'
  | 'status-range'
  | 'unrequested-101'
  | 'close-wins'
  | 'framing-whitespace'
  | 'limits';

export interface Refusal {
  kind: Kind;
  code: string;
  /** The input from the start of the refused message to where our parser stopped. */
  message: string;
  /** The line our parser stopped on (it ends where the parser stopped). */
  line: string;
  /** Bytes of input from the start of the refused message to the end. */
  remaining: number;
  limits: { maxHeaderBytes: number; maxChunkLineBytes: number };
}

export interface StricterClass {
  name: ClassName;
  rule: string;
  llhttp: string;
  explains(r: Refusal): boolean;
}

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const EXT_EMPTY = new RegExp(`;${TOKEN}=(;|\\r\\n$|$)`);
const OTHER_VERSION = /^(HTTP\/(0\.9|2\.0)|RTSP\/\d\.\d|ICE\/\d\.\d)$/;

export const STRICTER: readonly StricterClass[] = [
  {
    name: 'bare-cr-lf',
    rule: 'RFC 9112 §2.2: every line of a head, a chunk-size line and an empty line before a request ends in CRLF; a bare CR or LF is an error',
    llhttp: 'Node 20 (llhttp 9.3) accepts a bare CR after the status line; both skip any CR/LF bytes before a request line',
    explains: (r) =>
      (r.code === 'HPE_CR_EXPECTED' || r.code === 'HPE_LF_EXPECTED' || r.code === 'HPE_INVALID_EOF_STATE') &&
      (/\r(?!\n)/.test(r.line) || (r.line.endsWith('\n') && !r.line.endsWith('\r\n'))),
  },
  {
    name: 'request-line-whitespace',
    rule: 'RFC 9112 §3: the request-line parts are separated by exactly one SP',
    llhttp: 'accepts several SP between method, target and version',
    explains: (r) => r.kind === 'request' && /^[^ \r\n]+ ( |[^ \r\n]+  )/.test(r.line),
  },
  {
    name: 'version',
    rule: 'RFC 9112 §2.3, Appendix C.1 / RFC 9110 §6.2: only HTTP/1.0 and HTTP/1.1 are HTTP/1.x; a request line without a version (HTTP/0.9) is refused',
    llhttp: 'accepts HTTP/0.9 and HTTP/2.0 as versions, RTSP/1.x and ICE/1.x as protocols, and a request line without a version as HTTP/0.9',
    explains: (r) => {
      const line = r.line.replace(/\r\n$/, '');
      // Only a start line: the message's first, or the first after an interim response.
      if (!r.message.replace(/^(\r\n)*/, '').startsWith(line) && !r.message.includes(`\r\n\r\n${line}`)) return false;
      if (r.kind === 'response') return OTHER_VERSION.test(line.split(' ')[0]!);
      // A request line without a version or with another protocol is refused whatever else is
      // wrong with it (llhttp even takes PRI there, and RTSP's methods with RTSP/1.0).
      const parts = line.split(' ');
      return parts.length === 2 || (parts.length === 3 && OTHER_VERSION.test(parts[2]!));
    },
  },
  {
    name: 'transfer-coding',
    rule: 'RFC 9112 §6.1, §6.3 and issue 14: a message is chunked by exactly one `Transfer-Encoding: chunked` field in an HTTP/1.1 head; other codings, lists, HTTP/1.0 and trailer fields are refused',
    llhttp: 'joins several fields into a list, ignores empty list elements, reads a response with a non-chunked coding until close, accepts chunked HTTP/1.0 messages and Transfer-Encoding in a response trailer',
    explains: (r) => r.code === 'HPE_INVALID_TRANSFER_ENCODING' && /\ntransfer-encoding:/i.test(r.message),
  },
  {
    name: 'chunk-extension',
    rule: 'RFC 9112 §7.1.1: chunk-ext-name = token and chunk-ext-val = token / quoted-string, neither empty',
    llhttp: 'accepts an empty name (`;=v`, `;;a`) and an empty value (`;a=`)',
    explains: (r) => r.code === 'HPE_STRICT' && (EXT_EMPTY.test(r.line) || /;[=;]/.test(r.line)),
  },
  {
    name: 'reason-phrase',
    rule: 'RFC 9112 §4: reason-phrase = *( HTAB / SP / VCHAR / obs-text ), no other control bytes',
    llhttp: 'accepts any byte but CR and LF in a reason-phrase',
    explains: (r) => r.kind === 'response' && r.code === 'HPE_INVALID_STATUS' && /^HTTP\/1\.[01] \d{3} [^\r\n]*[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(r.line),
  },
  {
    name: 'status-range',
    rule: 'RFC 9110 §15: a status code is in 100–599',
    llhttp: 'accepts any three digits, 000 to 999',
    explains: (r) => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(r.line);
      return r.code === 'HPE_INVALID_STATUS' && m !== null && (Number(m[1]) < 100 || Number(m[1]) > 599);
    },
  },
  {
    name: 'unrequested-101',
    rule: 'RFC 9110 §15.2.2: a server switches protocols only when asked; hubgate never asks',
    llhttp: 'treats a 101 without Upgrade as an ordinary 1xx',
    explains: (r) => r.code === 'HPE_INVALID_STATUS' && /(^|\n)HTTP\/1\.[01] 101( |\r)/.test(r.message),
  },
  {
    name: 'close-wins',
    rule: 'RFC 9112 §9.3, §9.6: a `close` connection option ends the connection, even beside `keep-alive` in HTTP/1.0',
    llhttp: 'keeps an HTTP/1.0 connection alive when `keep-alive` appears, whatever else does',
    explains: () => false, // a difference in persistence, not a refusal: see explainsPersistence
  },
  {
    name: 'framing-whitespace',
    rule: 'our own, on framing fields only: after a Content-Length or Transfer-Encoding value, SP but no HTAB (RFC 9110 §5.5 would allow either)',
    llhttp: 'Node 24 (llhttp 9.4) accepts HTAB after a Content-Length value; Node 20 refuses it, and both refuse it after `chunked`',
    explains: (r) => r.code === 'HPE_INVALID_HEADER_TOKEN' && /^(content-length|transfer-encoding):[^\r\n]*\t[ \t]*\r\n$/i.test(r.line),
  },
  {
    name: 'limits',
    rule: 'RFC 9110 §8.6, RFC 9112 §7.1: bounds of our own. Every byte of a head counts toward limits.maxHeaderBytes (llhttp counts only target, names and values, so a flood of empty fields or whitespace never reaches it), a chunk-size line has limits.maxChunkLineBytes, numbers stop at 2^53 - 1',
    llhttp: 'counts fewer bytes, accepts any number of leading zeros in a chunk size and numbers up to 2^64 - 1',
    explains: (r) => {
      if (r.code === 'HPE_HEADER_OVERFLOW') return r.remaining > r.limits.maxHeaderBytes;
      if (r.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return r.remaining > r.limits.maxChunkLineBytes;
      if (r.code === 'HPE_INVALID_CONTENT_LENGTH') return /\ncontent-length:[ \t]*\d{16,}[ \t]*\r\n/i.test(r.message);
      if (r.code === 'HPE_INVALID_CHUNK_SIZE') return /^0*[0-9a-fA-F]{14,}/.test(r.line);
      return false;
    },
  },
];

/** Our parser ended the connection after a message llhttp would keep alive. */
export function explainsPersistence(ours: Message, theirs: Message): boolean {
  if (ours.keepAlive || !theirs.keepAlive) return false;
  for (let i = 0; i < ours.headers.length; i += 2) {
    if (/^(proxy-)?connection$/i.test(ours.headers[i]!) && /(^|,)[ \t]*close[ \t]*(,|$)/i.test(ours.headers[i + 1]!)) return true;
  }
  return false;
}

export function explain(r: Refusal): StricterClass | undefined {
  return STRICTER.find((c) => c.explains(r));
}
