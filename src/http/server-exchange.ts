// One request on a client connection and its answer: the seam's HubRequest and Responder
// (exchange.ts) in one object, so a request costs one allocation here beyond the codec's head.
// Framing of the answer is ours: a Content-Length given is kept, otherwise the body is chunked
// (or, to an HTTP/1.0 client, ends with the connection); HEAD, 1xx, 204 and 304 have none.
import type { RequestHead } from './codec/index.js';
import { STATUS_TEXT, appendFields, InvalidFieldError } from './codec/index.js';
import type { BodySink, HeaderList, HubRequest, Responder } from './exchange.js';
import type { ServerConnection } from './server-connection.js';

// Fields that node:http's `req.headers` keeps once (the first) instead of joining repeats.
const SINGLETONS: ReadonlySet<string> = new Set([
  'content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag',
  'last-modified', 'server', 'age', 'expires',
]);

const HAS_LENGTH = 1;
const HAS_DATE = 2;

const statusLines: string[] = [];
function statusLine(status: number): string {
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new InvalidFieldError(`status ${status} is not in 100-599`);
  return (statusLines[status] ??= `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ''}\r\n`);
}

let dateSecond = 0;
let dateField = '';
/** RFC 9110 §6.6.1: an answer gets a Date; the string changes once a second, not per answer. */
function date(): string {
  const ms = Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateField = `Date: ${new Date(ms).toUTCString()}\r\n`;
  }
  return dateField;
}

/** Which framing fields an answer's own list carries. */
function scan(headers: HeaderList): number {
  let found = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') found |= HAS_LENGTH;
    else if (name.length === 4 && name.toLowerCase() === 'date') found |= HAS_DATE;
  }
  return found;
}

export class ServerExchange<C = unknown> implements HubRequest, Responder {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: HeaderList;
  headersSent = false;
  /** The answer is complete, or was given up (the connection closed, or the engine answered). */
  finished = false;
  private chunked = false;
  private bodiless = false;

  constructor(
    private readonly conn: ServerConnection<C>,
    readonly head: RequestHead,
  ) {
    this.method = head.method;
    this.url = head.target;
    this.rawHeaders = head.headers;
  }

  get destroyed(): boolean {
    return this.conn.socket.destroyed;
  }

  /** As node:http's `req.headers[name]` reads: the first value of a singleton field, repeats of
   *  any other joined with ", " (so two signatures read as one malformed value). */
  header(name: string): string | undefined {
    const head = this.head;
    if (name === 'host') return head.host;
    if (name === 'x-hub-signature-256' && head.hubSignatureCount < 2) return head.hubSignature;
    const values = head.getAll(name);
    if (values.length < 2 || SINGLETONS.has(name)) return values[0];
    return values.join(name === 'cookie' ? '; ' : ', ');
  }

  readBody(sink: BodySink): () => void {
    return this.conn.readBody(this, sink);
  }

  send(status: number, headers: HeaderList, body: string): void {
    if (this.headersSent || this.finished || this.destroyed) return;
    const found = scan(headers);
    this.headersSent = true;
    // A HEAD answer tells the length of the body it does not carry; 1xx, 204 and 304 have none.
    const lengthless = status < 200 || status === 204 || status === 304;
    const length = lengthless || (found & HAS_LENGTH) !== 0 ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    const head = this.fields(status, headers, found) + length + this.conn.connectionFields() + '\r\n';
    this.conn.out.whole(head, lengthless || this.method === 'HEAD' ? '' : body);
    this.complete();
  }

  writeHead(status: number, headers: HeaderList): void {
    if (this.headersSent || this.finished || this.destroyed) return;
    const found = scan(headers);
    this.headersSent = true;
    this.bodiless = this.method === 'HEAD' || status < 200 || status === 204 || status === 304;
    let framing = '';
    if (!this.bodiless && (found & HAS_LENGTH) === 0) {
      if (this.head.version === '1.1') {
        this.chunked = true;
        framing = 'Transfer-Encoding: chunked\r\n';
      } else {
        this.conn.closeAfter = true; // an HTTP/1.0 client reads such a body to the close
      }
    }
    this.conn.out.push(this.fields(status, headers, found) + framing + this.conn.connectionFields() + '\r\n');
  }

  write(chunk: Buffer): boolean {
    if (this.finished || this.destroyed) return false;
    if (this.bodiless || chunk.length === 0) return true;
    const out = this.conn.out;
    if (this.chunked) {
      out.push(`${chunk.length.toString(16)}\r\n`);
      out.push(chunk);
      out.push('\r\n');
    } else {
      out.push(chunk);
    }
    return out.writable();
  }

  onceDrain(listener: () => void): void {
    this.conn.onceDrain(listener);
  }

  end(): void {
    if (this.finished || this.destroyed) return;
    if (this.chunked) this.conn.out.push('0\r\n\r\n');
    this.conn.out.flush();
    this.complete();
  }

  closeAfter(): void {
    this.conn.closeAfter = true;
  }

  destroy(): void {
    // An answer the engine completed or gave up already has nothing left to cut short.
    if (!this.finished) this.conn.destroy();
  }

  /** The engine answered in its place, or the connection closed: later calls do nothing. */
  abandon(): void {
    this.finished = true;
  }

  private fields(status: number, headers: HeaderList, found: number): string {
    return appendFields(statusLine(status), headers, true) + ((found & HAS_DATE) === 0 ? date() : '');
  }

  private complete(): void {
    this.finished = true;
    this.conn.answered(this);
  }
}
