// Raw bytes over mTLS, for the framing attacks an HTTP client library would normalise away:
// the test writes exactly the bytes it means, and reads back every response the gateway sent.
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { ClientCredentials } from './pki.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawResult {
  responses: RawResponse[];
  statuses: number[];
  /** The gateway closed the connection (FIN or reset) before the exchange timed out. */
  closed: boolean;
  timedOut: boolean;
  /** A client-side error (handshake alert, reset), if any. */
  error?: string;
  /** Bytes after the last complete response (a truncated response shows up here). */
  rest: string;
}

export interface RawTarget {
  port: number;
  ca: string;
  client?: ClientCredentials;
  tls?: Partial<ConnectionOptions>;
}

export interface ExchangeOptions {
  /** Stop once this many complete responses are in (else wait for the close). */
  responses?: number;
  /** Give up after this long; the result says timedOut. */
  timeoutMs?: number;
  /** Written one after another, each after `gapMs` (default: all at once). */
  gapMs?: number;
}

/** Parses as many complete HTTP/1.1 responses as `buf` holds (Content-Length or chunked). */
export function parseResponses(buf: Buffer): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const head = buf.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? NaN);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = end + 4;
    let body: Buffer;
    if (status >= 100 && status < 200) {
      at = bodyStart;
      continue; // interim responses carry no body
    }
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const parts: Buffer[] = [];
      let p = bodyStart;
      let complete = false;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p);
        if (lineEnd === -1) break;
        const size = parseInt(buf.subarray(p, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) break;
        if (size === 0) {
          const trailerEnd = buf.indexOf('\r\n\r\n', lineEnd);
          if (trailerEnd === -1 && buf.indexOf('\r\n', lineEnd + 2) !== lineEnd + 2) break;
          p = trailerEnd === -1 ? lineEnd + 4 : trailerEnd + 4;
          complete = true;
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) break;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(parts);
      bodyStart = p;
      at = p;
    } else if (headers['content-length'] === undefined && status !== 204 && status !== 304) {
      // No framing (an HTTP/1.0 answer): the body runs to the close.
      body = buf.subarray(bodyStart);
      at = buf.length;
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (buf.length < bodyStart + length) break;
      body = buf.subarray(bodyStart, bodyStart + length);
      at = bodyStart + length;
    }
    responses.push({ status, headers, body: body.toString('utf8') });
  }
  return { responses, rest: buf.subarray(at) };
}

export function openTls(target: RawTarget): TLSSocket {
  return connect({
    host: '127.0.0.1',
    port: target.port,
    servername: 'localhost',
    ca: target.ca,
    cert: target.client?.cert,
    key: target.client?.key,
    ...target.tls,
  });
}

/** Connects, writes `payload` (pieces in order), and collects what comes back. */
export function exchange(target: RawTarget, payload: string | Buffer | Array<string | Buffer>, opts: ExchangeOptions = {}): Promise<RawResult> {
  const pieces = Array.isArray(payload) ? payload : [payload];
  return new Promise((resolve) => {
    const socket = openTls(target);
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let settled = false;
    const finish = (closed: boolean, timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const { responses, rest } = parseResponses(Buffer.concat(chunks));
      resolve({ responses, statuses: responses.map((r) => r.status), closed, timedOut, error, rest: rest.toString('latin1') });
    };
    const timer = setTimeout(() => finish(false, true), opts.timeoutMs ?? 5_000);
    socket.on('secureConnect', () => {
      let i = 0;
      const next = () => {
        if (settled || i >= pieces.length) return;
        socket.write(pieces[i++]!);
        if (opts.gapMs) setTimeout(next, opts.gapMs);
        else next();
      };
      next();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (opts.responses !== undefined && parseResponses(Buffer.concat(chunks)).responses.length >= opts.responses) finish(false, false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => void (error = err.code ?? err.message));
    socket.on('close', () => finish(true, false));
  });
}

/** `POST path` with the given extra header lines and body, as one raw request. */
export function rawRequest(method: string, path: string, headerLines: string[], body: string | Buffer = '', version = 'HTTP/1.1'): Buffer {
  const head = `${method} ${path} ${version}\r\n${headerLines.map((h) => `${h}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1')]);
}

/** Open file descriptors of this process (Linux). */
export async function openFds(): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  return (await readdir('/proc/self/fd')).length;
}
