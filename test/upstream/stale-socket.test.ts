// The stale-socket race: an app closes an idle keep-alive socket as we write the next delivery
// into it. The request is then lost in flight and, being a POST the app may have read, must not
// be sent again; the only way out is not to be there. We let idle connections go before the app
// does (keep-alive.ts): by its Keep-Alive hint with a margin, or by a short default. Deliveries
// spaced around the app's own idle timeout must all arrive once and all be answered 200.
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createUpstreamClient } from '../../src/upstream/client.js';
import type { Forwarder, Outbound } from '../../src/pipeline/forward.js';
import { startRawApp, OK_ANSWER, type RawApp } from '../helpers/raw-app.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function delivery(port: number, n: number): Outbound {
  const body = `{"n":${n}}`;
  return { origin: `http://127.0.0.1:${port}`, path: '/hook', method: 'POST', headers: ['host', 'localhost', 'content-length', String(body.length)], body: [Buffer.from(body)] };
}

/** Sends one delivery after each gap; returns the statuses. */
async function deliverSpaced(client: Forwarder, port: number, gapsMs: number[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const [n, gap] of gapsMs.entries()) {
    await sleep(gap);
    statuses.push((await client.send(delivery(port, n), null, 5_000)).status);
  }
  return statuses;
}

describe('an app that closes idle sockets after 1 s and sends no Keep-Alive hint', () => {
  /** A raw app closing each socket 1,000 ms after its last answer, as a server's idle timer does. */
  async function closingApp(): Promise<RawApp> {
    const app = await startRawApp();
    const timers = new Map<Socket, NodeJS.Timeout>();
    app.behave = (socket) => {
      clearTimeout(timers.get(socket));
      socket.write(OK_ANSWER);
      timers.set(socket, setTimeout(() => socket.destroy(), 1_000));
    };
    closers.push(async () => {
      for (const t of timers.values()) clearTimeout(t);
      await app.close();
    });
    return app;
  }

  it('delivers every 1.1 s, and around the app’s timeout, each once and each 200', async () => {
    const app = await closingApp();
    const client = createUpstreamClient();
    closers.push(() => client.close());
    const gaps = [0, 1_100, 1_100, 1_000, 990, 1_010, 950, 1_050];
    const statuses = await deliverSpaced(client, app.port, gaps);
    expect(statuses).toEqual(gaps.map(() => 200));
    expect(app.requests.map((r) => JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).n)).toEqual(gaps.map((_g, n) => n));
  });

  it('reuses a connection for deliveries close together', async () => {
    const app = await closingApp();
    const client = createUpstreamClient();
    closers.push(() => client.close());
    expect(await deliverSpaced(client, app.port, [0, 100, 100, 100])).toEqual([200, 200, 200, 200]);
    expect(app.connections).toBe(1);
  });
});

describe('a node:http app with keepAliveTimeout 1 s (it sends Keep-Alive: timeout=1)', () => {
  it('delivers around the hinted timeout, each once and each 200, reusing only well inside it', async () => {
    const received: string[] = [];
    let connections = 0;
    const app: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(body);
        res.end('ok');
      });
    });
    app.keepAliveTimeout = 1_000;
    app.on('connection', () => (connections += 1));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => {
      app.closeAllConnections();
      app.close(r);
    }));
    const client = createUpstreamClient();
    closers.push(() => client.close());
    const port = (app.address() as AddressInfo).port;
    const gaps = [0, 300, 950, 1_000, 1_050, 480];
    expect(await deliverSpaced(client, port, gaps)).toEqual(gaps.map(() => 200));
    expect(received).toEqual(gaps.map((_g, n) => `{"n":${n}}`));
    // 300 ms and 480 ms reuse (inside the 500 ms the hint allows); the others connect afresh.
    expect(connections).toBe(4);
  });
});
