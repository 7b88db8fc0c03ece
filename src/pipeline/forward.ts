// Stage 9: forward the verified request to the app with http-proxy over a keep-alive agent.
// The body goes out byte for byte as it was received and verified; the upstream's status,
// headers and body come back. An upstream failure before its response headers is a 502/504:
// the gateway never answers 2xx to a POST the upstream did not (Meta then retries for 36 h).
import { Agent, type IncomingMessage, type ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import httpProxy from 'http-proxy';
import { refuse, type Refusal } from '../refusal.js';
import type { Routed } from './route.js';
import type { Body } from './body.js';
import type { PeerIdentity } from '../tls/identity.js';

// RFC 9110 §7.6.1 hop-by-hop fields, plus the ones this edge owns and must never pass on:
// X-Forwarded-* and Forwarded (set by us, from the socket or the PROXY header) and X-Hubgate-*.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'host',
  'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port',
]);

const RESPONSE_HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

export interface ForwardContext {
  readonly routed: Routed;
  readonly body: Body;
  readonly peer: PeerIdentity | null;
  readonly clientAddress: string;
  readonly upstreamTimeoutMs: number;
}

export interface Forwarded {
  readonly status: number;
  /** Seconds from sending to the upstream's response headers. */
  readonly upstreamSeconds: number;
}

export function forwardHeaders(req: IncomingMessage, ctx: ForwardContext): OutgoingHttpHeaders {
  const inbound = req.headers;
  const dropped = new Set(HOP_BY_HOP);
  for (const token of (inbound.connection ?? '').split(',')) dropped.add(token.trim().toLowerCase());
  const out: OutgoingHttpHeaders = {};
  for (const name of Object.keys(inbound)) {
    // CGI/WSGI apps read `X_Hubgate_App` and `X-Hubgate-App` as one HTTP_X_HUBGATE_APP, and some
    // take `Transfer_Encoding` for framing: judge a name with `_` as its `-` spelling.
    const canonical = name.includes('_') ? name.replaceAll('_', '-') : name;
    if (dropped.has(canonical) || canonical.startsWith('x-hubgate-')) continue;
    out[name] = inbound[name];
  }
  if (inbound.host !== undefined) out.host = inbound.host;
  if (ctx.body.length > 0 || req.method === 'POST') out['content-length'] = String(ctx.body.length);
  out['x-forwarded-for'] = ctx.clientAddress;
  out['x-forwarded-proto'] = 'https';
  if (inbound.host !== undefined) out['x-forwarded-host'] = inbound.host;
  out['x-hubgate-app'] = ctx.routed.app.name;
  if (ctx.peer) out['x-hubgate-client-cert-sha256'] = ctx.peer.fingerprint;
  return out;
}

/** The upstream's response headers minus its own connection management (the client's
 *  connection is ours to manage; Node frames the body for it). */
export function responseHeaders(headers: IncomingMessage['headers']): OutgoingHttpHeaders {
  const dropped = new Set(RESPONSE_HOP_BY_HOP);
  for (const token of (typeof headers.connection === 'string' ? headers.connection : '').split(',')) {
    dropped.add(token.trim().toLowerCase());
  }
  const out: OutgoingHttpHeaders = {};
  for (const name of Object.keys(headers)) if (!dropped.has(name)) out[name] = headers[name];
  return out;
}

export interface Forwarder {
  forward(req: IncomingMessage, res: ServerResponse, ctx: ForwardContext): Promise<Forwarded | Refusal>;
  close(): void;
}

interface InFlight {
  readonly timeoutMs: number;
  timer?: NodeJS.Timeout;
  sentAt: bigint;
  upstreamSeconds: number;
  status: number;
}

const TIMEOUT_CODE = 'HUBGATE_UPSTREAM_TIMEOUT';

export function createForwarder(options: { maxSockets?: number } = {}): Forwarder {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256, maxFreeSockets: 64, scheduling: 'lifo' });
  // selfHandleResponse: http-proxy's own response passes would re-add `Connection: keep-alive`
  // even when the client asked to close; the response headers are copied here instead.
  const proxy = httpProxy.createProxyServer({ agent, xfwd: false, changeOrigin: false, ws: false, selfHandleResponse: true });
  const inFlight = new WeakMap<IncomingMessage, InFlight>();

  proxy.on('proxyReq', (proxyReq, req) => {
    const state = inFlight.get(req);
    if (!state) return;
    state.timer = setTimeout(() => {
      proxyReq.destroy(Object.assign(new Error('upstream timeout'), { code: TIMEOUT_CODE }));
    }, state.timeoutMs);
  });
  proxy.on('proxyRes', (proxyRes, req, res) => {
    const state = inFlight.get(req);
    if (state) {
      // upstreamTimeoutMs bounds the whole answer, not just its headers: an app that stalls
      // mid-body must not pin the client's connection (the timer's destroy cuts it short).
      proxyRes.once('end', () => clearTimeout(state.timer));
      state.status = proxyRes.statusCode ?? 502;
      state.upstreamSeconds = Number(process.hrtime.bigint() - state.sentAt) / 1e9;
    }
    res.writeHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, responseHeaders(proxyRes.headers));
    // An upstream that dies mid-response: the client must not take a truncated body as complete.
    proxyRes.once('aborted', () => res.destroy());
    proxyRes.once('error', () => res.destroy());
    proxyRes.pipe(res);
  });
  // http-proxy emits on the server when a client socket reset raced the proxied request.
  proxy.on('econnreset', () => undefined);

  return {
    forward(req, res, ctx) {
      return new Promise((resolve) => {
        const state: InFlight = { timeoutMs: ctx.upstreamTimeoutMs, sentAt: process.hrtime.bigint(), upstreamSeconds: 0, status: 0 };
        inFlight.set(req, state);
        req.headers = forwardHeaders(req, ctx) as IncomingMessage['headers'];
        req.url = ctx.routed.upstreamUrl;
        const done = () => {
          clearTimeout(state.timer);
          resolve({ status: state.status || 502, upstreamSeconds: state.upstreamSeconds });
        };
        res.once('finish', done).once('close', done);
        proxy.web(
          req,
          res,
          { target: ctx.routed.app.upstreamOrigin, buffer: Readable.from(ctx.body.chunks) },
          (err: NodeJS.ErrnoException) => {
            clearTimeout(state.timer);
            res.off('finish', done).off('close', done);
            const refusal = refuse(err.code === TIMEOUT_CODE ? 'upstream_timeout' : 'upstream_unreachable', err.code ?? err.message);
            // Headers already on their way: the status the client saw came from the upstream.
            if (res.headersSent) {
              res.destroy();
              resolve({ status: state.status || 502, upstreamSeconds: state.upstreamSeconds });
            } else {
              resolve(refusal);
            }
          },
        );
      });
    },
    close() {
      proxy.close();
      agent.destroy();
    },
  };
}
