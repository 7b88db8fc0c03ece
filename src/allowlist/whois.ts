// A whois client (RFC 3912): connect over TCP, send one query line ending in CRLF, read the answer
// until the server closes the connection.
//
// The server is outside our control, so the exchange is bounded in time (a server that accepts and
// never answers) and in size (one that streams forever); each way of failing has its own code so
// the log says what went wrong.
import net from 'node:net';

export type WhoisErrorCode = 'dns' | 'refused' | 'timeout' | 'too_large' | 'truncated' | 'network' | 'aborted';

export class WhoisError extends Error {
  override readonly name = 'WhoisError';
  constructor(
    readonly code: WhoisErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** RADb's answer for AS32934 is a few hundred KiB; 16 MiB leaves room and still bounds memory. */
export const DEFAULT_WHOIS_MAX_BYTES = 16 * 1024 * 1024;

export interface WhoisQueryOptions {
  readonly host: string;
  readonly port: number;
  /** The query line, without CRLF (e.g. `-i origin AS32934`). */
  readonly query: string;
  /** Deadline for the whole exchange: connect, query, answer, close. */
  readonly timeoutMs: number;
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);

/** Maps a socket error to a WhoisError code and message; exported for tests. */
export function classifyWhoisError(err: NodeJS.ErrnoException, received: number): [WhoisErrorCode, string] {
  const code = err.code ?? 'unknown error';
  if (DNS_CODES.has(code)) return ['dns', `name lookup failed (${code})`];
  if (code === 'ECONNREFUSED') return ['refused', 'connection refused'];
  if (code === 'ETIMEDOUT') return ['timeout', 'connection timed out'];
  // RFC 3912 marks the end of the answer by closing the connection; a reset instead of a close
  // means the answer we hold is cut short. Best effort: a reset that lands right behind the last
  // bytes can surface as a plain close, which is why the refresher also refuses shrunk answers.
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return ['truncated', `connection reset after ${received} bytes: answer truncated`];
  }
  return ['network', `${err.message}`];
}

export function whoisQuery(options: WhoisQueryOptions): Promise<string> {
  const { host, port, query, timeoutMs, signal } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_WHOIS_MAX_BYTES;
  const where = `whois ${host}:${port}`;
  // One query line only: a CR or LF inside would smuggle a second command to the server.
  if (/[\r\n]/.test(query)) return Promise.reject(new TypeError(`${where}: query must be a single line`));
  if (signal?.aborted) return Promise.reject(new WhoisError('aborted', `${where}: aborted`));

  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const socket = net.connect({ host, port });

    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const fail = (code: WhoisErrorCode, message: string, cause?: unknown): void => {
      if (!settle()) return;
      socket.destroy();
      reject(new WhoisError(code, `${where}: ${message}`, { cause }));
    };
    const onAbort = (): void => fail('aborted', 'aborted');
    const timer = setTimeout(() => fail('timeout', `no complete answer within ${timeoutMs} ms`), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    socket.once('connect', () => socket.write(`${query}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return fail('too_large', `answer exceeds ${maxBytes} bytes`);
      chunks.push(chunk);
    });
    socket.once('end', () => {
      if (!settle()) return;
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => fail(...classifyWhoisError(err, received), err));
    // A close without 'end' or 'error' should not happen; never leave the promise pending if it does.
    socket.once('close', () => fail('network', `connection closed after ${received} bytes without end of answer`));
  });
}
