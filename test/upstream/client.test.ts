// The upstream client (src/upstream/) on its own against raw TCP apps on loopback: keep-alive
// reuse and its bound, the request in one write, the answer relayed with backpressure both
// ways, a client that goes away, upstreamTimeoutMs, idle expiry and the app's Keep-Alive hint.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { Socket } from 'node:net';
import { createUpstreamClient } from '../../src/upstream/client.js';
import { idleTime } from '../../src/upstream/keep-alive.js';
import { ResponseHead } from '../../src/http/codec/index.js';
import type { Forwarder, Outbound } from '../../src/pipeline/forward.js';
import type { HeaderList, Responder } from '../../src/http/exchange.js';
import { startRawApp, OK_ANSWER, type RawApp } from '../helpers/raw-app.js';

const apps: RawApp[] = [];
const clients: Forwarder[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of clients.splice(0)) await c.close();
  for (const a of apps.splice(0)) await a.close();
});

async function scene(options: { connections?: number; idleMs?: number } = {}) {
  const app = await startRawApp();
  apps.push(app);
  const client = createUpstreamClient(options);
  clients.push(client);
  return { app, client };
}

function outbound(app: RawApp, body = '{"n":1}'): Outbound {
  return {
    origin: `http://127.0.0.1:${app.port}`,
    path: '/hook',
    method: 'POST',
    headers: ['host', 'localhost', 'content-length', String(body.length)],
    body: [Buffer.from(body)],
  };
}

/** A Responder that records what it is given; `accept` says how many writes it takes before it
 *  reports backpressure. */
class Recorder implements Responder {
  status = 0;
  headers: HeaderList = [];
  body: Buffer[] = [];
  ended = false;
  destroyed = false;
  headersSent = false;
  accept = Infinity;
  private drain: (() => void) | null = null;
  send(): void {
    throw new Error('not used by the upstream client');
  }
  writeHead(status: number, headers: HeaderList): void {
    this.status = status;
    this.headers = headers;
    this.headersSent = true;
  }
  write(chunk: Buffer): boolean {
    this.body.push(Buffer.from(chunk));
    return this.body.length < this.accept;
  }
  onceDrain(listener: () => void): void {
    this.drain = listener;
  }
  /** The client caught up (or, destroyed, went away). */
  drained(): void {
    const d = this.drain;
    this.drain = null;
    d?.();
  }
  end(): void {
    this.ended = true;
  }
  closeAfter(): void {}
  destroy(): void {
    this.destroyed = true;
  }
  get bytes(): number {
    return this.body.reduce((n, b) => n + b.length, 0);
  }
}

describe('keep-alive pool', () => {
  it('reuses one connection for deliveries one after another', async () => {
    const { app, client } = await scene();
    for (let i = 0; i < 5; i++) expect(await client.send(outbound(app), new Recorder(), 2_000)).toMatchObject({ status: 200 });
    expect(app.connections).toBe(1);
    expect(app.requests.map((r) => r.connection)).toEqual([0, 0, 0, 0, 0]);
  });

  it('opens at most `connections` per origin and queues the rest', async () => {
    const { app, client } = await scene({ connections: 2 });
    app.behave = (s) => setTimeout(() => s.write(OK_ANSWER), 50);
    const results = await Promise.all(Array.from({ length: 6 }, () => client.send(outbound(app), new Recorder(), 2_000)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(app.connections).toBe(2);
  });

  it('writes the request head and a small body in one write', async () => {
    const { app, client } = await scene();
    const writes = vi.spyOn(Socket.prototype, 'write');
    await client.send(outbound(app, 'x'.repeat(1_000)), new Recorder(), 2_000);
    // (The app's own answer is a socket write too: only those carrying the request count.)
    const mine = writes.mock.calls.filter(([data]) => String(data).includes('POST /hook') || String(data).includes('xxxxxxxx'));
    expect(mine).toHaveLength(1);
    expect(app.requests[0]!.text.endsWith('x'.repeat(1_000))).toBe(true);
  });
});

describe('relaying the answer', () => {
  it('hands the app’s status, end-to-end fields and body to the client’s Responder', async () => {
    const { app, client } = await scene();
    app.behave = (s) => s.write('HTTP/1.1 201 Created\r\nConnection: X-Hop\r\nX-Hop: 1\r\nX-App: yes\r\nContent-Length: 5\r\n\r\nhello');
    const sink = new Recorder();
    expect(await client.send(outbound(app), sink, 2_000)).toMatchObject({ status: 201 });
    expect(sink.headers).toEqual(['X-App', 'yes', 'Content-Length', '5']);
    expect(Buffer.concat(sink.body).toString()).toBe('hello');
    expect(sink.ended).toBe(true);
  });

  it('stops reading the app while the client is slow, and goes on when it drains', async () => {
    const { app, client } = await scene();
    const big = 'y'.repeat(4 * 1024 * 1024);
    app.behave = (s) => s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big}`);
    const sink = new Recorder();
    sink.accept = 1;
    const sending = client.send(outbound(app), sink, 5_000);
    await vi.waitFor(() => expect(sink.body.length).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 200));
    // One socket read got through; the rest waits in the kernel's buffers, not in ours.
    expect(sink.bytes).toBeLessThan(1024 * 1024);
    sink.accept = Infinity;
    sink.drained();
    await sending;
    expect(sink.bytes).toBe(big.length);
    expect(sink.ended).toBe(true);
  });

  it('drops the exchange when the client goes away mid-answer, and never reuses that connection', async () => {
    const { app, client } = await scene();
    app.behave = (s, req) => (req.connection === 0 ? s.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n${'z'.repeat(70_000)}`) : s.write(OK_ANSWER));
    const sink = new Recorder();
    sink.accept = 1;
    const sending = client.send(outbound(app), sink, 5_000);
    await vi.waitFor(() => expect(sink.body.length).toBeGreaterThan(0));
    sink.destroyed = true;
    sink.drained();
    expect(await sending).toMatchObject({ status: 200 });
    expect(sink.ended).toBe(false);
    expect(await client.send(outbound(app), new Recorder(), 2_000)).toMatchObject({ status: 200 });
    expect(app.requests.map((r) => r.connection)).toEqual([0, 1]);
  });

  it('reads only the status of a fan-out destination (no Responder) and reuses its connection', async () => {
    const { app, client } = await scene();
    expect(await client.send(outbound(app), null, 2_000)).toMatchObject({ status: 200 });
    expect(await client.send(outbound(app), null, 2_000)).toMatchObject({ status: 200 });
    expect(app.connections).toBe(1);
  });
});

describe('upstreamTimeoutMs', () => {
  it('is 504 when no head comes in time, and the connection is not reused', async () => {
    const { app, client } = await scene();
    app.behave = (s, req) => (req.connection === 0 ? undefined : s.write(OK_ANSWER));
    expect(await client.send(outbound(app), new Recorder(), 300)).toMatchObject({ status: 504, reason: 'upstream_timeout' });
    expect(await client.send(outbound(app), new Recorder(), 300)).toMatchObject({ status: 200 });
    expect(app.connections).toBe(2);
  });

  it('bounds every silence inside the body: the client’s answer is cut', async () => {
    const { app, client } = await scene();
    app.behave = (s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab');
      setTimeout(() => s.write('cd'), 200); // a pause under the limit is fine
    };
    const sink = new Recorder();
    const started = Date.now();
    expect(await client.send(outbound(app), sink, 300)).toMatchObject({ status: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(480);
    expect(Buffer.concat(sink.body).toString()).toBe('abcd');
    expect(sink.destroyed).toBe(true);
    expect(sink.ended).toBe(false);
  });
});

describe('idle connections', () => {
  it('lets an idle connection go after its idle time, before the app would', async () => {
    const { app, client } = await scene({ idleMs: 150 });
    await client.send(outbound(app), new Recorder(), 2_000);
    await new Promise((r) => setTimeout(r, 50));
    await client.send(outbound(app), new Recorder(), 2_000);
    await new Promise((r) => setTimeout(r, 250));
    await client.send(outbound(app), new Recorder(), 2_000);
    expect(app.requests.map((r) => r.connection)).toEqual([0, 0, 1]);
  });

  it('reads the app’s Keep-Alive hint with a margin', () => {
    const head = (hint?: string) => {
      const h = new ResponseHead();
      if (hint !== undefined) h.headers.push('Keep-Alive', hint);
      return h;
    };
    expect(idleTime(head(), 500)).toBe(500);
    expect(idleTime(head('timeout=5'), 500)).toBe(3_000);
    expect(idleTime(head('timeout=5, max=100'), 500)).toBe(3_000);
    expect(idleTime(head('max=100; timeout=1'), 500)).toBe(500);
    expect(idleTime(head('timeout=0'), 500)).toBe(0);
    expect(idleTime(head('timeout=3600'), 500)).toBe(60_000);
    expect(idleTime(head('timeout=5.5'), 500)).toBe(500);
    expect(idleTime(head('xtimeout=5'), 500)).toBe(500);
  });

  it('closes an idle connection the app talks on out of turn', async () => {
    const { app, client } = await scene();
    app.behave = (s) => {
      s.write(OK_ANSWER);
      setTimeout(() => s.write('HTTP/1.1 200 OK\r\n'), 30);
    };
    await client.send(outbound(app), new Recorder(), 2_000);
    await new Promise((r) => setTimeout(r, 100));
    app.behave = (s) => s.write(OK_ANSWER);
    await client.send(outbound(app), new Recorder(), 2_000);
    expect(app.requests.map((r) => r.connection)).toEqual([0, 1]);
  });
});
