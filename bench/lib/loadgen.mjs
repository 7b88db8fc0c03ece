// The load generator: a small wrk-like HTTP/1.1 client on raw sockets (node:tls / node:net), so
// that one pinned core can outrun the target. Every request is the same prebuilt byte string
// (headers + a body signed with a real HMAC); responses are parsed just enough to find their end
// (Content-Length or chunked) and their status.
//
// Modes
//   ka    keep-alive, closed loop: `connections` sockets, each sends the next request as soon as
//         the previous response is complete (peak requests/s).
//   rate  keep-alive, open loop at `rate` req/s; latency counted from the intended send time,
//         so queueing behind a slow target is not hidden (no coordinated omission).
//   hs    new connection per request: full TLS handshake (no session resumption) with the client
//         certificate, one request with `Connection: close`, then close.
//   hs + `resume: true`: the same, but every connection offers one session saved from a first
//         full handshake (a TLS 1.2 ticket or a TLS 1.3 PSK ticket, per `tls.maxVersion`), as a
//         client that keeps its ticket would. Whether the server resumed is counted per
//         connection (`resumed`), so a server that falls back to full handshakes shows up as a low
//         resumption rate, not as a silently slower handshake rate.
//
// Distinct requests (`distinct: { scenario, path, tag }`, ka mode): for apps with event dedupe,
// where a repeated event is answered 200 + X-Hubgate-Duplicate and not forwarded, every request
// is new — its body is the scenario's template with a seed of its own written in (tag + a
// counter; bench/lib/scenarios.mjs, distinctTemplates), signed as Meta signs. Such a run also
// counts every response (warm-up included) and X-Hubgate-Duplicate answers, and at the end
// stops sending and waits for the requests in flight, so the harness can hold the upstream's
// request count against the answered requests exactly.
//
// Usage: node loadgen.mjs '<json options>'  → prints one JSON result line on stdout.
//   { mode, host, port, tls?: { cert, key, ca, servername, verifyServer, minVersion, maxVersion },
//     resume?, requestFile | distinct, connections, startAt (epoch ms), warmupMs, durationMs, rate? }
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { readFileSync } from 'node:fs';

const opts = JSON.parse(process.argv[2]);
const request = opts.distinct ? null : readFileSync(opts.requestFile);
const nextRequest = opts.distinct ? await distinctRequests(opts.distinct) : () => request;

/** Request n: template n % templates with seed(tag, n), signed. Built when sent (a few µs of
 *  HMAC per KB on the generator's core), so no ring of prebuilt requests can run out or repeat. */
async function distinctRequests({ scenario, path, tag }) {
  const { SCENARIOS, distinctTemplates, distinctBody, seedFor, requestBytes } = await import('./scenarios.mjs');
  const templates = distinctTemplates(SCENARIOS[scenario]);
  let n = 0;
  return () => {
    const body = distinctBody(templates, n, seedFor(tag, n));
    n += 1;
    return requestBytes(path, body);
  };
}
// One secure context for every connection: certificate and key are parsed once, not per handshake.
// The client does not verify the server (loopback, our own test PKI; the server's work — verifying
// *our* chain — is unchanged): with `verifyServer` off no CA is loaded, OpenSSL's check of the
// server chain stops at its first step, and Node skips getPeerCertificate(true) +
// checkServerIdentity, which took over half of the client's CPU per handshake and kept one core of
// generators from saturating nginx's core. `verifyServer: true` restores full verification.
const tlsOptions = opts.tls
  ? {
      // TLS version bounds belong to the context: tls.connect ignores them beside a secureContext.
      secureContext: createSecureContext({
        cert: readFileSync(opts.tls.cert),
        key: readFileSync(opts.tls.key),
        ...(opts.tls.verifyServer ? { ca: readFileSync(opts.tls.ca) } : {}),
        ...(opts.tls.minVersion ? { minVersion: opts.tls.minVersion } : {}),
        ...(opts.tls.maxVersion ? { maxVersion: opts.tls.maxVersion } : {}),
      }),
      servername: opts.tls.servername ?? 'localhost',
      rejectUnauthorized: Boolean(opts.tls.verifyServer),
      // No `session` here: only `resume` mode passes the saved one (openSocket).
    }
  : null;

const measureFrom = opts.startAt + opts.warmupMs;
const measureTo = measureFrom + opts.durationMs;
const MAX_SAMPLES = 4_000_000;
const latencies = new Float64Array(MAX_SAMPLES);
let samples = 0;
let completed = 0; // 2xx in the window
let resumed = 0; // 2xx in the window on a connection whose TLS session was resumed
let failed = 0; // non-2xx in the window
let errors = 0; // socket errors/closes mid-request in the window
let handshakesDone = 0;
// Distinct runs only: every response of the run, warm-up and drain included.
const total = { ok: 0, notOk: 0, errors: 0, duplicates: 0 };
const statuses = {};
let stopping = false;
let inFlightCount = 0;

function nowMs() {
  return performance.timeOrigin + performance.now();
}

function record(status, startedMs, endMs, reused = false, duplicate = false) {
  if (opts.distinct) {
    if (status >= 200 && status < 300) total.ok += 1;
    else total.notOk += 1;
    if (duplicate) total.duplicates += 1;
  }
  if (endMs < measureFrom || endMs > measureTo) return;
  statuses[status] = (statuses[status] ?? 0) + 1;
  if (status >= 200 && status < 300) {
    completed += 1;
    if (reused) resumed += 1;
  } else failed += 1;
  if (samples < MAX_SAMPLES) latencies[samples++] = endMs - startedMs;
}

/** Incremental HTTP/1.1 response framing: feed() returns the status once a response is complete. */
class ResponseParser {
  constructor() {
    this.reset();
  }
  reset() {
    this.buf = null;
    this.status = 0;
    this.remaining = -1; // body bytes still expected (Content-Length)
    this.chunked = false;
    this.inBody = false;
    this.duplicate = false;
  }
  /** @returns {number} status when complete, 0 otherwise. Leftover bytes are ignored (no pipelining). */
  feed(chunk) {
    if (!this.inBody) {
      this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
      const end = this.buf.indexOf('\r\n\r\n');
      if (end === -1) return 0;
      const head = this.buf.toString('latin1', 0, end);
      this.status = Number(head.slice(9, 12));
      const lower = head.toLowerCase();
      const cl = lower.indexOf('\r\ncontent-length:');
      if (cl !== -1) {
        const eol = lower.indexOf('\r\n', cl + 2);
        this.remaining = parseInt(lower.slice(cl + 17, eol === -1 ? undefined : eol), 10);
      } else if (lower.includes('\r\ntransfer-encoding: chunked')) this.chunked = true;
      else this.remaining = 0;
      if (opts.distinct) this.duplicate = lower.includes('\r\nx-hubgate-duplicate:');
      this.inBody = true;
      const rest = this.buf.subarray(end + 4);
      this.buf = null;
      return this.body(rest);
    }
    return this.body(chunk);
  }
  body(chunk) {
    if (!this.chunked) {
      this.remaining -= chunk.length;
      return this.remaining <= 0 ? this.status : 0;
    }
    // Chunked: good enough for a benchmark — the terminal zero-size chunk ends the message.
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.buf.length > 64 * 1024) this.buf = this.buf.subarray(this.buf.length - 16);
    return this.buf.indexOf('\r\n0\r\n\r\n') !== -1 || this.buf.subarray(0, 5).equals(Buffer.from('0\r\n\r\n')) ? this.status : 0;
  }
}

/** The session every `resume` connection offers (set once by saveSession before the load). */
let savedSession = null;
/** What the first connection negotiated, for the report. */
let negotiated = null;

function openSocket(onConnect) {
  if (tlsOptions) {
    const s = tlsConnect({ host: opts.host, port: opts.port, ...tlsOptions, ...(savedSession ? { session: savedSession } : {}) }, onConnect);
    s.setNoDelay(true);
    return s;
  }
  const s = netConnect({ host: opts.host, port: opts.port }, onConnect);
  s.setNoDelay(true);
  return s;
}

/** A keep-alive connection that sends requests on demand; reconnects if the server closes it. */
class KeepAliveConnection {
  constructor(onIdle) {
    this.onIdle = onIdle;
    this.parser = new ResponseParser();
    this.busy = false;
    this.startedMs = 0;
    this.connect();
  }
  connect() {
    this.ready = false;
    this.socket = openSocket(() => {
      this.ready = true;
      if (!this.busy) this.onIdle(this);
      else this.socket.write(this.pending);
    });
    this.socket.on('data', (chunk) => {
      const status = this.parser.feed(chunk);
      if (status === 0) return;
      const duplicate = this.parser.duplicate;
      this.parser.reset();
      this.busy = false;
      inFlightCount -= 1;
      record(status, this.startedMs, nowMs(), false, duplicate);
      this.onIdle(this);
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      if (this.busy) {
        this.busy = false;
        inFlightCount -= 1;
        const t = nowMs();
        if (t >= measureFrom && t <= measureTo) errors += 1;
        if (opts.distinct) total.errors += 1;
      }
      this.parser.reset();
      if (!stopping) setTimeout(() => this.connect(), 5);
    });
  }
  send(startedMs) {
    this.busy = true;
    inFlightCount += 1;
    this.startedMs = startedMs;
    this.pending = nextRequest();
    if (this.ready) this.socket.write(this.pending);
  }
  close() {
    this.socket.destroy();
  }
}

function runKeepAlive() {
  const conns = [];
  const onIdle = (c) => {
    if (!stopping && nowMs() >= opts.startAt) c.send(nowMs());
  };
  for (let i = 0; i < opts.connections; i++) conns.push(new KeepAliveConnection(onIdle));
  // Connections opened before startAt idle until then.
  setTimeout(() => conns.forEach((c) => !c.busy && c.ready && c.send(nowMs())), Math.max(0, opts.startAt - nowMs()));
  return conns;
}

function runRate() {
  const intervalMs = 1000 / opts.rate;
  const queue = []; // intended send times waiting for a free connection
  const idle = [];
  const onIdle = (c) => {
    if (stopping) return;
    if (queue.length) c.send(queue.shift());
    else idle.push(c);
  };
  const conns = [];
  for (let i = 0; i < opts.connections; i++) conns.push(new KeepAliveConnection(onIdle));
  let issued = 0;
  const tick = () => {
    if (stopping) return;
    const t = nowMs();
    const due = Math.floor((t - opts.startAt) / intervalMs);
    while (issued < due) {
      const intended = opts.startAt + issued * intervalMs;
      issued += 1;
      const c = idle.pop();
      if (c) c.send(intended);
      else if (queue.length < 100_000) queue.push(intended);
    }
    // Timers tick at ~1 ms: requests due meanwhile go out together (≤ rate/1000 at once).
    setTimeout(tick, 1);
  };
  setTimeout(tick, Math.max(0, opts.startAt - nowMs()));
  return conns;
}

function runHandshakes() {
  let live = 0;
  const one = () => {
    if (stopping) return;
    live += 1;
    const parser = new ResponseParser();
    const started = nowMs();
    let done = false;
    let reused = false;
    const s = openSocket(() => {
      handshakesDone += 1;
      reused = s.isSessionReused?.() ?? false;
      if (!negotiated && s.getProtocol) negotiated = { protocol: s.getProtocol(), cipher: s.getCipher?.()?.name, resumed: reused };
      s.write(request);
    });
    s.on('data', (chunk) => {
      const status = parser.feed(chunk);
      if (status === 0 || done) return;
      done = true;
      record(status, started, nowMs(), reused);
      s.destroy();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      live -= 1;
      if (!done) {
        const t = nowMs();
        if (t >= measureFrom && t <= measureTo) errors += 1;
      }
      one();
    });
  };
  setTimeout(() => {
    for (let i = 0; i < opts.connections; i++) one();
  }, Math.max(0, opts.startAt - nowMs()));
  return [];
}

/** One full handshake + request to get a session to resume (TLS 1.3 tickets arrive after the
 *  handshake, before the response; the first one offered is kept). Fails loudly without one. */
function saveSession() {
  return new Promise((resolve, reject) => {
    const parser = new ResponseParser();
    let session = null;
    let status = 0;
    const s = tlsConnect({ host: opts.host, port: opts.port, ...tlsOptions }, () => s.write(request));
    s.once('session', (buf) => (session = buf));
    s.on('data', (chunk) => {
      status = status || parser.feed(chunk);
      if (status) s.destroy();
    });
    s.on('error', reject);
    s.on('close', () => {
      if (!session) return reject(new Error(`no TLS session to resume from ${opts.host}:${opts.port} (status ${status})`));
      if (status < 200 || status >= 300) return reject(new Error(`first request for a session answered ${status}`));
      resolve(session);
    });
  });
}

if (opts.resume) {
  try {
    savedSession = await saveSession();
  } catch (err) {
    process.stderr.write(`loadgen: ${err.message}\n`);
    process.exit(2);
  }
}
if (opts.distinct && opts.mode !== 'ka') throw new Error('distinct requests: ka mode only');
const conns = opts.mode === 'hs' ? runHandshakes() : opts.mode === 'rate' ? runRate() : runKeepAlive();

/** Distinct runs: up to 5 s for the requests in flight, so every request sent was answered. */
async function drain() {
  const deadline = nowMs() + 5000;
  while (opts.distinct && inFlightCount > 0 && nowMs() < deadline) await new Promise((r) => setTimeout(r, 5));
}

setTimeout(async () => {
  stopping = true;
  await drain();
  for (const c of conns) c.close();
  const sorted = latencies.subarray(0, samples).sort();
  const pct = (p) => (samples ? sorted[Math.min(samples - 1, Math.floor((p / 100) * samples))] : null);
  const seconds = opts.durationMs / 1000;
  process.stdout.write(
    JSON.stringify({
      mode: opts.mode,
      seconds,
      completed,
      failed,
      errors,
      statuses,
      rps: completed / seconds,
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      max: samples ? sorted[samples - 1] : null,
      queuedAtEnd: inFlightCount,
      handshakes: handshakesDone,
      resumed,
      negotiated,
      total: opts.distinct ? { ...total, unanswered: inFlightCount } : undefined,
    }) + '\n',
    () => process.exit(0),
  );
}, measureTo - nowMs() + 20);
