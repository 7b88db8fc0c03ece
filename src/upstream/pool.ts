// Keep-alive connections to one upstream origin: at most `limit` open, requests beyond it
// queued. An idle connection is reused most-recent-first and only while it is younger than its
// idle time (keep-alive.ts): the app closing a socket we are about to use is the stale-socket
// race, and the one sure way out of it for a POST is never to be there (we do not retry: the
// app may have read the request before it closed).
import { LazyTimer, now } from '../http/lazy-timer.js';
import { refuse } from '../refusal.js';
import { UpstreamConnection } from './connection.js';
import type { UpstreamExchange } from './exchange.js';

export class Pool {
  readonly host: string;
  readonly port: number;
  /** Where every connection of the pool reads (one read at a time: the event loop's). */
  readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  /** Most recently used last. */
  private readonly idle: UpstreamConnection[] = [];
  /** Every connection, counted against the limit: connecting, busy or idle. */
  private readonly connections = new Set<UpstreamConnection>();
  private readonly queue: UpstreamExchange[] = [];
  private closed = false;
  /** Closes idle connections as they expire, so their file descriptors do not linger. */
  private readonly sweeper = new LazyTimer(() => this.nextExpiry(), () => this.sweep(), false);

  constructor(
    origin: string,
    private readonly limit: number,
    /** How long a connection may idle when the app gave no Keep-Alive hint. */
    readonly defaultIdleMs: number,
  ) {
    const url = new URL(origin);
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = Number(url.port || 80);
  }

  dispatch(exchange: UpstreamExchange): void {
    if (this.closed) return exchange.settle(refuse('upstream_unreachable', 'shutting down'));
    const t = now();
    while (this.idle.length > 0) {
      const conn = this.idle.pop()!;
      if (conn.reusable(t)) return conn.start(exchange);
      conn.close();
    }
    if (this.connections.size < this.limit) {
      const conn = new UpstreamConnection(this);
      this.connections.add(conn);
      return conn.start(exchange);
    }
    exchange.queueFor(this.queue);
  }

  /** A connection whose last exchange ended cleanly and that may carry another. */
  release(conn: UpstreamConnection): void {
    if (this.closed) return conn.close();
    const waiting = this.queue.shift();
    if (waiting !== undefined) return conn.start(waiting.dequeued());
    conn.idleSince = now();
    this.idle.push(conn);
    this.sweeper.arm();
  }

  /** A connection is gone (closed, failed or expired): its place goes to a waiting request. */
  remove(conn: UpstreamConnection): void {
    if (!this.connections.delete(conn)) return;
    const i = this.idle.lastIndexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    const waiting = this.queue.shift();
    if (waiting !== undefined) this.dispatch(waiting.dequeued());
  }

  close(): void {
    this.closed = true;
    this.sweeper.stop();
    for (const waiting of this.queue.splice(0)) waiting.dequeued().settle(refuse('upstream_unreachable', 'shutting down'));
    // After the listener's drain: an exchange still running has lost its client already.
    for (const conn of [...this.connections]) conn.close();
  }

  private nextExpiry(): number {
    let at = 0;
    for (const conn of this.idle) if (at === 0 || conn.expiresAt() < at) at = conn.expiresAt();
    return at;
  }

  private sweep(): void {
    const t = now();
    for (const conn of this.idle.slice()) if (!conn.reusable(t)) conn.close();
    this.sweeper.arm();
  }
}
