// Slow and abandoned clients: slowloris headers, a trickled body, a client that leaves mid-body,
// idle connections at every layer, and floods of connections and handshakes from one address.
// Each is bounded by a limit from `limits` (short ones here), logged, and forwards nothing.
import { describe, it, expect, beforeAll } from 'vitest';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SECRET, eventually } from '../helpers/gateway.js';
import { useGateway } from '../helpers/fixture.js';
import { sign } from '../helpers/client.js';
import { exchange, openTls, openFds, rawRequest, type RawTarget } from '../helpers/raw.js';

const LIMITS = { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, keepAliveTimeoutMs: 1_000, maxConnections: 20 };
/** Node checks header/request timeouts every 500 ms; everything else is slack for a busy CI. */
const SLACK_MS = 2_500;

const { pki, upstream, gw } = useGateway({ overrides: { limits: LIMITS } });
let meta: RawTarget;

const BODY = '{"object":"instagram","entry":[{"id":"7"}]}';
const HEAD = rawRequest('POST', '/webhooks/shop', ['Host: localhost', `X-Hub-Signature-256: ${sign(BODY, SECRET)}`, `Content-Length: ${BODY.length}`]);
const DELIVERY = Buffer.concat([HEAD, Buffer.from(BODY)]);

beforeAll(() => {
  meta = { port: gw.port, ca: pki.serverCa, client: pki.meta };
});

async function openConnections(): Promise<number> {
  return (await gw.gateway.metrics.connections.get()).values[0]?.value ?? 0;
}

/** `eventually` for an asynchronous condition. */
async function until(condition: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function logged(msg: string, field: string, value: string, since = 0) {
  return eventually(() => gw.logs.slice(since).find((l) => l.msg === msg && l[field] === value), 5_000);
}

/** Resolves when the socket closes; the elapsed time from `since`. */
function closedAfter(socket: Socket, since: number): Promise<number> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(Date.now() - since);
    socket.once('close', () => resolve(Date.now() - since));
  });
}

async function secured(socket: TLSSocket): Promise<'secure' | 'closed'> {
  return new Promise((resolve) => {
    socket.once('secureConnect', () => resolve('secure'));
    socket.once('close', () => resolve('closed'));
  });
}

describe('slowloris and slow bodies', () => {
  it('answers 408 to headers trickled a byte at a time once limits.headersTimeoutMs passes', async () => {
    const before = gw.logs.length;
    const started = Date.now();
    const r = await exchange(meta, [...DELIVERY.toString('latin1')], { gapMs: 100, timeoutMs: 15_000 });
    expect(r.statuses).toEqual([408]);
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(LIMITS.headersTimeoutMs + SLACK_MS);
    expect(upstream.received).toHaveLength(0);
    await logged('request refused', 'reason', 'request_timeout', before);
  });

  it('answers 408 to a body trickled a byte at a time once limits.requestTimeoutMs passes, forwarding nothing', async () => {
    const started = Date.now();
    const r = await exchange(meta, [HEAD, ...BODY], { gapMs: 300, timeoutMs: 20_000 });
    expect(r.statuses).toEqual([408]);
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(LIMITS.requestTimeoutMs + SLACK_MS);
    expect(upstream.received).toHaveLength(0);
  });

  it('closes a TLS connection that never sends a request within limits.headersTimeoutMs', async () => {
    const started = Date.now();
    const r = await exchange(meta, [], { timeoutMs: 10_000 });
    expect(r.closed).toBe(true);
    expect(r.statuses).toEqual([408]);
    expect(Date.now() - started).toBeLessThan(LIMITS.headersTimeoutMs + SLACK_MS);
  });

  it('closes a TCP connection that never starts the TLS handshake (handshake timeout)', async () => {
    const before = gw.logs.length;
    const started = Date.now();
    const socket = netConnect(gw.port, '127.0.0.1');
    socket.on('error', () => undefined);
    const elapsed = await closedAfter(socket, started);
    expect(elapsed).toBeLessThan(LIMITS.headersTimeoutMs + SLACK_MS);
    await logged('TLS handshake failed', 'code', 'ERR_TLS_HANDSHAKE_TIMEOUT', before);
  });

  it('closes a kept-alive connection idle for limits.keepAliveTimeoutMs after its response', async () => {
    const socket = openTls(meta);
    await secured(socket);
    const answered = new Promise((r) => socket.once('data', r));
    socket.write(DELIVERY);
    await answered;
    const elapsed = await closedAfter(socket, Date.now());
    expect(elapsed).toBeLessThan(LIMITS.keepAliveTimeoutMs + SLACK_MS);
    expect(upstream.received).toHaveLength(1);
  });
});

describe('clients that leave mid-body', () => {
  async function abandon(parts: Array<string | Buffer>): Promise<void> {
    const socket = openTls(meta);
    socket.on('error', () => undefined);
    await secured(socket);
    for (const p of parts) socket.write(p);
    await new Promise((r) => setTimeout(r, 200)); // the gateway has read the partial body
    socket.destroy();
  }

  it('forwards nothing when the client closes half-way through a Content-Length body', async () => {
    const before = gw.logs.length;
    await abandon([HEAD, BODY.slice(0, 10)]);
    await logged('request refused', 'reason', 'client_aborted', before);
    expect(upstream.received).toHaveLength(0);
  });

  it('forwards nothing when the client closes between chunks of a chunked body', async () => {
    const before = gw.logs.length;
    const head = rawRequest('POST', '/webhooks/shop', ['Host: localhost', `X-Hub-Signature-256: ${sign(BODY, SECRET)}`, 'Transfer-Encoding: chunked']);
    await abandon([head, `10\r\n${BODY.slice(0, 16)}\r\n`]);
    await logged('request refused', 'reason', 'client_aborted', before);
    expect(upstream.received).toHaveLength(0);
  });

  it('forwards nothing when the client resets (RST) mid-body', async () => {
    const before = gw.logs.length;
    const tcp = netConnect(gw.port, '127.0.0.1');
    tcp.on('error', () => undefined);
    const socket = tlsConnect({ socket: tcp, servername: 'localhost', ca: pki.serverCa, ...pki.meta });
    socket.on('error', () => undefined);
    await secured(socket);
    socket.write(HEAD);
    socket.write(BODY.slice(0, 5));
    await new Promise((r) => setTimeout(r, 200));
    tcp.resetAndDestroy(); // RST on the TCP socket under the TLS session
    await logged('request refused', 'reason', 'client_aborted', before);
    expect(upstream.received).toHaveLength(0);
  });
});

describe('connection limits and floods from one address', () => {
  it('holds many idle TLS connections up to limits.maxConnections, refuses the rest with a log line, then recovers', async () => {
    await until(async () => (await openConnections()) === 0);
    const before = gw.logs.length;
    const sockets = Array.from({ length: LIMITS.maxConnections + 5 }, () => {
      const s = openTls(meta);
      s.on('error', () => undefined);
      return s;
    });
    try {
      const states = await Promise.all(sockets.map(secured));
      expect(states.filter((s) => s === 'secure')).toHaveLength(LIMITS.maxConnections);
      expect(states.filter((s) => s === 'closed')).toHaveLength(5);
      expect(await openConnections()).toBe(LIMITS.maxConnections);
      await eventually(() => gw.logs.slice(before).filter((l) => l.reason === 'connection_limit').length === 5);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await until(async () => (await openConnections()) === 0);
    const r = await exchange(meta, DELIVERY, { responses: 1 });
    expect(r.statuses).toEqual([200]);
  });

  it('rides out a flood of stalled half-handshakes: bounded by the limit, each closed by the handshake timeout', async () => {
    const fdsBefore = await openFds();
    const started = Date.now();
    // A TLS record header that promises a ClientHello, then nothing: the cheapest way to hold a slot.
    const flood = Array.from({ length: 60 }, () => {
      const s = netConnect(gw.port, '127.0.0.1', () => s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])));
      s.on('error', () => undefined);
      return s;
    });
    let peak = 0;
    const sampler = setInterval(() => void openConnections().then((n) => (peak = Math.max(peak, n))), 20);
    try {
      const elapsed = await Promise.all(flood.map((s) => closedAfter(s, started)));
      expect(Math.max(...elapsed)).toBeLessThan(LIMITS.headersTimeoutMs + SLACK_MS);
    } finally {
      clearInterval(sampler);
      for (const s of flood) s.destroy();
    }
    expect(peak).toBeLessThanOrEqual(LIMITS.maxConnections);
    expect(upstream.received).toHaveLength(0);
    await until(async () => (await openConnections()) === 0);
    expect((await exchange(meta, DELIVERY, { responses: 1 })).statuses).toEqual([200]);
    await until(async () => (await openFds()) <= fdsBefore + 2); // + the upstream keep-alive pair
  });

  it('rides out a burst of 200 complete handshakes that hang up at once, then serves normally', async () => {
    const before = gw.logs.length;
    let secure = 0;
    for (let wave = 0; wave < 10; wave++) {
      const sockets = Array.from({ length: 20 }, () => {
        const s = openTls(meta);
        s.on('error', () => undefined);
        return s;
      });
      const states = await Promise.all(sockets.map(secured));
      secure += states.filter((s) => s === 'secure').length;
      for (const s of sockets) s.destroy();
      await until(async () => (await openConnections()) === 0);
    }
    expect(secure).toBe(200);
    expect(upstream.received).toHaveLength(0);
    expect((await exchange(meta, DELIVERY, { responses: 1 })).statuses).toEqual([200]);
    // Hang-ups are routine: never logged as refused requests.
    expect(gw.logs.slice(before).filter((l) => l.msg === 'request refused')).toEqual([]);
  });
});
