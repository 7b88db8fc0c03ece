// The client-facing HTTP/1.1 engine (src/http/server*.ts) on its own, over plain TCP on
// loopback: keep-alive, pipelining one request at a time, HTTP/1.0, 100-continue, HEAD, the
// framing of relayed answers, one write per small answer, timeouts, limits and parse errors,
// bounded holding of pipelined bytes, drain. The gateway's use of it (TLS, stages, reason
// codes) is covered by test/hostile and test/e2e.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { HttpServer, type ServerLimits } from '../../src/http/server.js';
import type { HubRequest, Responder } from '../../src/http/exchange.js';
import { parseResponses, type RawResponse } from '../helpers/raw.js';

type Handler = (req: HubRequest, res: Responder) => void;

interface Engine {
  hub: HttpServer<string>;
  port: number;
  faults: string[];
  sockets: Socket[];
  handle: Handler;
}

const LIMITS: ServerLimits = { maxHeaderBytes: 16 * 1024, headersTimeoutMs: 600, requestTimeoutMs: 1_000, keepAliveTimeoutMs: 1_000 };
const running: Server[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of running.splice(0)) await new Promise((r) => s.close(r));
});

const ok: Handler = (_req, res) => res.send(200, ['content-type', 'text/plain'], 'ok');

async function startEngine(handle: Handler = ok, limits: Partial<ServerLimits> = {}): Promise<Engine> {
  const engine: Engine = { hub: undefined as unknown as HttpServer<string>, port: 0, faults: [], sockets: [], handle };
  engine.hub = new HttpServer<string>(
    {
      request: (req, res) => engine.handle(req, res),
      refused(fault) {
        const code = typeof fault === 'string' ? fault : fault.code;
        engine.faults.push(code);
        const status = fault === 'connect' ? 0 : fault === 'timeout' ? 408 : fault === 'no_host' ? 400 : fault.status;
        return { status, body: `${code}\n` };
      },
      transportError: () => undefined,
    },
    { ...LIMITS, ...limits },
  );
  const tcp = createServer((socket) => {
    engine.sockets.push(socket);
    engine.hub.serve(socket, 'test');
  });
  running.push(tcp);
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  engine.port = (tcp.address() as AddressInfo).port;
  return engine;
}

interface Talk {
  responses: RawResponse[];
  raw: string;
  closed: boolean;
}

/** Writes the pieces (each after `gapMs`) and reads until `responses` answers or the close. */
function talk(port: number, pieces: Array<string | Buffer>, opts: { responses?: number; gapMs?: number; timeoutMs?: number } = {}): Promise<Talk> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      resolve({ responses: parseResponses(raw).responses, raw: raw.toString('latin1'), closed });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 3_000);
    socket.on('connect', async () => {
      for (const p of pieces) {
        if (done) return;
        socket.write(p);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (opts.responses !== undefined && parseResponses(Buffer.concat(chunks)).responses.length >= opts.responses) finish(false);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
  });
}

const get = (path = '/', extra = '', version = '1.1') => `GET ${path} HTTP/${version}\r\nHost: x\r\n${extra}\r\n`;
const post = (body: string, extra = '') => `POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

/** Reads the whole body, then answers with it. */
const echo: Handler = (req, res) => {
  const parts: Buffer[] = [];
  req.readBody({
    data: (c) => parts.push(Buffer.from(c)),
    end: () => res.send(200, [], Buffer.concat(parts).toString()),
    abort: () => undefined,
  });
};

describe('keep-alive and pipelining', () => {
  it('answers requests one after another on one connection, announcing its idle timeout', async () => {
    const e = await startEngine();
    const r = await talk(e.port, [get(), get()], { responses: 2, gapMs: 50 });
    expect(r.responses.map((x) => x.status)).toEqual([200, 200]);
    expect(r.closed).toBe(false);
    expect(r.responses[0]!.headers['keep-alive']).toBe('timeout=1');
    expect(r.responses[0]!.headers.date).toMatch(/GMT$/);
  });

  it('hands pipelined requests to the pipeline strictly one at a time, in order', async () => {
    const log: string[] = [];
    const e = await startEngine((req, res) => {
      log.push(`start ${req.url}`);
      // The first answer takes a while: the second request must wait for it.
      setTimeout(() => {
        log.push(`answer ${req.url}`);
        res.send(200, [], req.url);
      }, req.url === '/1' ? 100 : 0);
    });
    const r = await talk(e.port, [get('/1') + get('/2') + get('/3')], { responses: 3 });
    expect(r.responses.map((x) => x.body)).toEqual(['/1', '/2', '/3']);
    expect(log).toEqual(['start /1', 'answer /1', 'start /2', 'answer /2', 'start /3', 'answer /3']);
  });

  it('holds the bytes behind the request being answered within a bound, then serves them', async () => {
    let release: () => void = () => undefined;
    const e = await startEngine((req, res) => {
      if (req.url === '/slow') release = () => res.send(200, [], 'slow');
      else echo(req, res);
    });
    const body = 'x'.repeat(1_000);
    const behind = Array.from({ length: 400 }, () => post(body)).join(''); // ~420 kB
    const talking = talk(e.port, [get('/slow') + behind], { responses: 401, timeoutMs: 8_000 });
    await new Promise((r) => setTimeout(r, 300));
    // Not read past the bound (64 KiB held + what one read brings), the rest waits in the kernel.
    expect(e.sockets[0]!.bytesRead).toBeLessThan(256 * 1024);
    release();
    const r = await talking;
    expect(r.responses).toHaveLength(401);
    expect(r.responses.slice(1).every((x) => x.status === 200 && x.body === body)).toBe(true);
  });

  it('touches no timer per request on a busy keep-alive connection', async () => {
    const e = await startEngine();
    await talk(e.port, [get()], { responses: 1 }); // warm
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const r = await talk(e.port, Array.from({ length: 50 }, () => get()), { responses: 50, gapMs: 2 });
    expect(r.responses).toHaveLength(50);
    // The client's own gaps and one connection timer; none per request.
    const engineTimers = spy.mock.calls.filter(([, ms]) => ms !== 2).length;
    expect(engineTimers).toBeLessThanOrEqual(3);
  });
});

describe('HTTP/1.0, 100-continue, HEAD', () => {
  it('closes an HTTP/1.0 connection after its answer, and keeps one that asks for keep-alive', async () => {
    const e = await startEngine();
    const plain = await talk(e.port, [get('/', '', '1.0')]);
    expect(plain.responses.map((x) => x.status)).toEqual([200]);
    expect(plain.closed).toBe(true);
    const kept = await talk(e.port, [get('/', 'Connection: keep-alive\r\n', '1.0')], { responses: 1, timeoutMs: 300 });
    expect(kept.responses[0]!.headers.connection).toBe('keep-alive');
    expect(kept.closed).toBe(false);
  });

  it('answers 100 Continue when the body is asked for, before reading it', async () => {
    const e = await startEngine(echo);
    const socket = connect(e.port, '127.0.0.1');
    const got: string[] = [];
    socket.on('data', (c: Buffer) => got.push(c.toString()));
    socket.write('POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await vi.waitFor(() => expect(got.join('')).toBe('HTTP/1.1 100 Continue\r\n\r\n'));
    socket.write('hello');
    await vi.waitFor(() => expect(got.join('')).toMatch(/\r\n\r\nhello$/));
    socket.destroy();
  });

  it('closes after an answer given without the body a 100-continue client still holds', async () => {
    const e = await startEngine((_req, res) => res.send(404, [], 'no'));
    const r = await talk(e.port, ['POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n']);
    expect(r.raw).not.toContain('100 Continue');
    expect(r.responses[0]!.headers.connection).toBe('close');
    expect(r.closed).toBe(true);
  });

  it('answers HEAD with the Content-Length of the body it does not send', async () => {
    const e = await startEngine();
    const r = await talk(e.port, [`HEAD / HTTP/1.1\r\nHost: x\r\n\r\n${get()}`], { timeoutMs: 400 });
    expect(r.raw).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 2\r\n[^]*\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(r.raw.endsWith('\r\n\r\nok')).toBe(true); // only the GET's body
  });
});

describe('answers relayed from an app', () => {
  /** Answers as the upstream client does: head, body pieces, end. */
  const relay = (status: number, headers: string[], pieces: string[]): Handler => (_req, res) => {
    res.writeHead(status, headers);
    for (const p of pieces) res.write(Buffer.from(p));
    res.end();
  };

  it('keeps the app’s Content-Length and frames an answer without one as chunked', async () => {
    const e = await startEngine();
    e.handle = relay(200, ['Content-Length', '4'], ['ab', 'cd']);
    const sized = await talk(e.port, [get()], { responses: 1 });
    expect(sized.raw).toMatch(/Content-Length: 4\r\n/);
    expect(sized.raw).not.toMatch(/Transfer-Encoding/i);
    expect(sized.responses[0]!.body).toBe('abcd');
    e.handle = relay(200, ['X-App', '1'], ['ab', 'cd']);
    const chunked = await talk(e.port, [get()], { responses: 1 });
    expect(chunked.raw).toMatch(/Transfer-Encoding: chunked\r\n[^]*\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n$/);
  });

  it('sends no body with a 204 or a 304', async () => {
    const e = await startEngine();
    for (const status of [204, 304]) {
      e.handle = relay(status, ['ETag', '"1"'], ['ignored']);
      const r = await talk(e.port, [get()], { timeoutMs: 300 });
      expect(r.raw).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(r.raw.endsWith('\r\n\r\n')).toBe(true);
      expect(r.raw).not.toMatch(/Transfer-Encoding|ignored/);
    }
  });

  it('ends an unframed answer to an HTTP/1.0 client with the connection', async () => {
    const e = await startEngine(relay(200, [], ['one', 'two']));
    const r = await talk(e.port, [get('/', 'Connection: keep-alive\r\n', '1.0')]);
    expect(r.closed).toBe(true);
    expect(r.raw).toMatch(/Connection: close\r\n\r\nonetwo$/);
  });

  it('writes a small answer, relayed or its own, in one write', async () => {
    const e = await startEngine();
    const writes: number[] = [];
    const counting = (_req: HubRequest, res: Responder, then: Handler) => {
      const socket = e.sockets.at(-1)!;
      const original = socket.write.bind(socket) as (...a: unknown[]) => boolean;
      socket.write = ((...a: unknown[]) => (writes.push(1), original(...a))) as typeof socket.write;
      then(_req, res);
    };
    e.handle = (req, res) => counting(req, res, relay(200, ['Content-Type', 'text/plain'], ['EVENT_', 'RECEIVED']));
    expect((await talk(e.port, [get()], { responses: 1 })).responses[0]!.body).toBe('EVENT_RECEIVED');
    expect(writes).toHaveLength(1);
    e.handle = (req, res) => counting(req, res, ok);
    writes.length = 0;
    expect((await talk(e.port, [get()], { responses: 1 })).responses[0]!.body).toBe('ok');
    expect(writes).toHaveLength(1);
  });
});

describe('unread bodies', () => {
  it('drops a small body the pipeline did not read, and serves the request behind it', async () => {
    const e = await startEngine((req, res) => res.send(req.method === 'POST' ? 404 : 200, [], req.url));
    const r = await talk(e.port, [post(get('/inside')) + get('/next')], { responses: 2 });
    expect(r.responses.map((x) => [x.status, x.body])).toEqual([[404, '/p'], [200, '/next']]);
  });

  it('closes instead of reading a large unread body', async () => {
    const e = await startEngine((_req, res) => res.send(404, [], 'no'));
    const r = await talk(e.port, [post('x'.repeat(100_000))]);
    expect(r.responses[0]!.headers.connection).toBe('close');
    expect(r.closed).toBe(true);
  });
});

describe('timeouts, limits and malformed input', () => {
  it('answers 408 when the head is not complete within headersTimeoutMs', async () => {
    const e = await startEngine();
    const started = Date.now();
    const r = await talk(e.port, ['GET / HTTP/1.1\r\n'], { timeoutMs: 3_000 });
    expect(r.responses.map((x) => x.status)).toEqual([408]);
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs - 10);
    expect(e.faults).toEqual(['timeout']);
  });

  it('answers 408 when the body is not complete within requestTimeoutMs', async () => {
    const e = await startEngine(echo);
    const r = await talk(e.port, ['POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc'], { timeoutMs: 3_000 });
    expect(r.responses.map((x) => x.status)).toEqual([408]);
    expect(r.closed).toBe(true);
  });

  it('closes a connection idle for keepAliveTimeoutMs without a word', async () => {
    const e = await startEngine();
    const started = Date.now();
    const r = await talk(e.port, [get()], { timeoutMs: 4_000 });
    expect(r.responses).toHaveLength(1);
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LIMITS.keepAliveTimeoutMs - 10);
    expect(e.faults).toEqual([]);
  });

  it('answers 431 to a head over maxHeaderBytes and 400 to a malformed one, closing after', async () => {
    const e = await startEngine(ok, { maxHeaderBytes: 1_024 });
    const big = await talk(e.port, [get('/', `X-Big: ${'a'.repeat(2_000)}\r\n`)]);
    expect(big.responses.map((x) => [x.status, x.headers.connection])).toEqual([[431, 'close']]);
    const bad = await talk(e.port, ['GET / HTTP/1.1\r\nBad Header: x\r\n\r\n']);
    expect(bad.responses.map((x) => [x.status, x.body])).toEqual([[400, 'HPE_INVALID_HEADER_TOKEN\n']]);
    expect(bad.closed).toBe(true);
  });

  it('refuses HTTP/1.1 without Host and closes on CONNECT without an answer', async () => {
    const e = await startEngine();
    expect((await talk(e.port, ['GET / HTTP/1.1\r\n\r\n'])).responses.map((x) => x.status)).toEqual([400]);
    const tunnel = await talk(e.port, ['CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n']);
    expect(tunnel.raw).toBe('');
    expect(tunnel.closed).toBe(true);
    expect(e.faults).toEqual(['no_host', 'connect']);
  });

  it('cuts an answer on the wire when garbage is pipelined behind it, and answers the garbage nothing', async () => {
    const e = await startEngine((_req, res) => {
      res.writeHead(200, ['Content-Length', '10']);
      res.write(Buffer.from('EVENT_'));
      setTimeout(() => res.end(), 300);
    });
    const r = await talk(e.port, [get(), 'GARBAGE\x00 /\r\n\r\n'], { gapMs: 100 });
    expect(r.closed).toBe(true);
    expect(r.responses).toEqual([]);
    expect(r.raw).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nEVENT_$/);
  });

  it('finishes an answer not yet started when garbage follows its request, then closes', async () => {
    const e = await startEngine((_req, res) => setTimeout(() => res.send(200, [], 'done'), 200));
    const r = await talk(e.port, [get(), 'GARBAGE\x00 /\r\n\r\n'], { gapMs: 50 });
    expect(r.responses.map((x) => [x.status, x.body, x.headers.connection])).toEqual([[200, 'done', 'close']]);
    expect(r.closed).toBe(true);
  });
});

describe('accounting and drain', () => {
  it('counts a request in flight until it is answered, or until its client leaves', async () => {
    let answer: () => void = () => undefined;
    const e = await startEngine((_req, res) => (answer = () => res.send(200, [], 'late')));
    const answered = talk(e.port, [get()], { responses: 1 });
    await vi.waitFor(() => expect(e.hub.inFlight).toBe(1));
    answer();
    await answered;
    expect(e.hub.inFlight).toBe(0);
    const left = connect(e.port, '127.0.0.1', () => left.write(get()));
    await vi.waitFor(() => expect(e.hub.inFlight).toBe(1));
    left.destroy();
    await vi.waitFor(() => expect(e.hub.inFlight).toBe(0));
    answer(); // too late: nothing is written, nothing counted twice
    expect(e.hub.inFlight).toBe(0);
  });

  it('while draining, closes idle connections and says Connection: close on every answer', async () => {
    const e = await startEngine((_req, res) => setTimeout(() => res.send(200, [], 'last'), 100));
    const idle = connect(e.port, '127.0.0.1');
    const idleClosed = new Promise((r) => idle.on('close', r));
    idle.on('error', () => undefined);
    const busy = talk(e.port, [get()]);
    await vi.waitFor(() => expect(e.hub.connections.size).toBe(2));
    e.hub.draining = true;
    e.hub.closeIdle();
    await idleClosed;
    const r = await busy;
    expect(r.responses.map((x) => [x.body, x.headers.connection])).toEqual([['last', 'close']]);
    expect(r.closed).toBe(true);
  });
});
