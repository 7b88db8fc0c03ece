// What a connection writes: the pieces of an answer (head, chunk framing, body) are gathered and
// leave as one Buffer at the end of the tick, or as soon as they pass FLUSH_AT. An app's small
// answer relayed in one read thus goes out in one write and one TLS record, as our own answers
// do; a large one goes out as it comes, with the socket's backpressure.
import type { Socket } from 'node:net';
import { STATUS_TEXT } from './codec/index.js';

const FLUSH_AT = 16 * 1024;
/** Above this, pieces go out corked (one writev) instead of being copied into one Buffer. */
const COPY_UP_TO = 64 * 1024;

export class ResponseOutput {
  private pieces: Array<string | Buffer> = [];
  private bytes = 0;
  private scheduled = false;
  private readonly flushTask = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly socket: Socket) {}

  /** Queues a piece (a string is latin1: a head, or chunk framing). */
  push(piece: string | Buffer): void {
    this.pieces.push(piece);
    this.bytes += piece.length;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  /** Whether the writer may go on, or should wait for the socket to drain. */
  writable(): boolean {
    if (this.bytes >= FLUSH_AT) this.flush();
    return !this.socket.writableNeedDrain;
  }

  flush(): void {
    const pieces = this.pieces;
    if (pieces.length === 0) return;
    const total = this.bytes;
    this.pieces = [];
    this.bytes = 0;
    const socket = this.socket;
    if (!socket.writable) return;
    if (pieces.length === 1) {
      const only = pieces[0]!;
      socket.write(typeof only === 'string' ? Buffer.from(only, 'latin1') : only);
    } else if (total <= COPY_UP_TO) {
      const buf = Buffer.allocUnsafe(total);
      let at = 0;
      for (const p of pieces) at += typeof p === 'string' ? buf.write(p, at, 'latin1') : p.copy(buf, at);
      socket.write(buf);
    } else {
      socket.cork();
      for (const p of pieces) socket.write(p, 'latin1');
      socket.uncork();
    }
  }

  /** A complete answer: its head (latin1) and a short body (UTF-8) in one write. */
  whole(head: string, body: string): void {
    this.flush();
    if (!this.socket.writable) return;
    const bodyBytes = body.length === 0 ? 0 : Buffer.byteLength(body);
    const buf = Buffer.allocUnsafe(head.length + bodyBytes);
    buf.write(head, 0, 'latin1');
    if (bodyBytes > 0) buf.write(body, head.length, 'utf8');
    this.socket.write(buf);
  }

  /** The engine's own refusal (a parse error, a timeout): plain text, and the connection closes. */
  refusal(status: number, body: string): void {
    const head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ''}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    this.whole(head, body);
  }
}
