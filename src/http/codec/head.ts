// What the parsers hand over once a head is complete: the message as received plus the few
// decisions the connection layer needs, made once (framing, persistence, 100-continue).
import { ascii } from './chars.js';

/**
 * How the body is delimited (RFC 9112 §6.3):
 * - `none`: no body (a request without Content-Length/Transfer-Encoding, Content-Length: 0,
 *   or a 1xx/204/304 response);
 * - `length`: exactly `contentLength` bytes;
 * - `chunked`: chunked transfer coding, length unknown until the last chunk;
 * - `close`: a response with neither field, read until the upstream closes. Such a
 *   connection is never reused (keepAlive is false).
 */
export type Framing = 'none' | 'length' | 'chunked' | 'close';

export type HttpVersion = '1.0' | '1.1';

export interface CodecLimits {
  /** Raw bytes of a head: start line, every field line and every CRLF, empty lines before the
   *  start line included; the same bound applies to a chunked body's trailer section. Past it:
   *  HPE_HEADER_OVERFLOW (431). */
  readonly maxHeaderBytes: number;
  /** Fields kept in `headers`; the ones after are dropped but still counted toward
   *  maxHeaderBytes and still honoured for framing (node:http's maxHeadersCount). */
  readonly maxHeaderCount: number;
  /** Longest request-target: HPE_URI_TOO_LONG (414). */
  readonly maxTargetBytes: number;
  /** Longest chunk-size line (size, extensions and CRLF): HPE_CHUNK_EXTENSIONS_OVERFLOW. */
  readonly maxChunkLineBytes: number;
  /** 1xx responses accepted before the final one; past it the answer is malformed. */
  readonly maxInterimResponses: number;
}

export const DEFAULT_LIMITS: CodecLimits = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 2000,
  maxTargetBytes: 16 * 1024,
  maxChunkLineBytes: 1024,
  maxInterimResponses: 16,
});

/** Limits from a partial set; maxTargetBytes follows maxHeaderBytes unless given, so the head
 *  limit (431) is what a long URL meets first, as with node:http. */
export function codecLimits(partial: Partial<CodecLimits> = {}): CodecLimits {
  const maxHeaderBytes = partial.maxHeaderBytes ?? DEFAULT_LIMITS.maxHeaderBytes;
  return Object.freeze({ ...DEFAULT_LIMITS, maxTargetBytes: maxHeaderBytes, ...partial });
}

export abstract class MessageHead {
  version: HttpVersion = '1.1';
  /** Field lines in order, flat: [name, value, name, value, …]. Names keep their case; values
   *  are trimmed of surrounding whitespace. At most limits.maxHeaderCount fields. */
  readonly headers: string[] = [];
  /** Fields past limits.maxHeaderCount that were dropped from `headers`. */
  droppedHeaders = 0;
  framing: Framing = 'none';
  /** The declared length when framing is `length`, else -1: a body limit is one comparison. */
  contentLength = -1;
  /** Whether the connection may carry another message after this one (RFC 9112 §9.3). A
   *  `close` token in a chunked body's trailer section can still turn it off: the value passed
   *  to onComplete is final. */
  keepAlive = true;

  /** First value of a field, by case-insensitive name; undefined when absent. */
  get(name: string): string | undefined {
    const i = this.indexOf(name);
    return i === -1 ? undefined : this.headers[i + 1];
  }

  /** Every value of a field, in order. */
  getAll(name: string): string[] {
    const out: string[] = [];
    const lower = name.toLowerCase();
    for (let i = 0; i < this.headers.length; i += 2) {
      const n = this.headers[i]!;
      if (n.length === lower.length && n.toLowerCase() === lower) out.push(this.headers[i + 1]!);
    }
    return out;
  }

  private indexOf(name: string): number {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.headers.length; i += 2) {
      const n = this.headers[i]!;
      if (n.length === lower.length && n.toLowerCase() === lower) return i;
    }
    return -1;
  }
}

export class RequestHead extends MessageHead {
  /** One of the methods llhttp knows (see request-line.ts), upper case as sent. */
  method = '';
  /** The request-target exactly as sent (origin-, absolute-, authority- or asterisk-form). */
  target = '';
  /** `Expect: 100-continue` was sent: the client may wait for a 100 before sending the body. */
  expectContinue = false;
  /** The first Host value and how many Host fields there were: the route stage reads the
   *  first; RFC 9112 §3.2 asks for 400 on zero (HTTP/1.1) or several, a policy left to it. */
  host: string | undefined = undefined;
  hostCount = 0;
  /** The first X-Hub-Signature-256 value and the count, read by the signature stage on every
   *  POST without a second scan of the fields. */
  hubSignature: string | undefined = undefined;
  hubSignatureCount = 0;
}

export class ResponseHead extends MessageHead {
  status = 0;
  reason = '';
}

/** Lower-case names the parsers recognise while scanning, compared on bytes. */
export const NAMES = {
  host: ascii('host'),
  expect: ascii('expect'),
  connection: ascii('connection'),
  contentLength: ascii('content-length'),
  proxyConnection: ascii('proxy-connection'),
  transferEncoding: ascii('transfer-encoding'),
  hubSignature: ascii('x-hub-signature-256'),
} as const;
