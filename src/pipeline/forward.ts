// Stage 9: forward the verified request to the app over undici's keep-alive pools. The body goes
// out byte for byte as it was received and verified; the upstream's status, headers and body come
// back. An upstream failure before its response headers is a 502/504: the gateway never answers
// 2xx to a POST the upstream did not (Meta then retries for 36 h). undici replaced http-proxy on
// measured evidence: docs/decisions/0001-forwarding-engine.md.
import type { IncomingMessage, ServerResponse, OutgoingHttpHeaders } from 'node:http';
import { Agent } from 'undici';
import { refuse, type Refusal } from '../refusal.js';
import type { Routed } from './route.js';
import type { Body } from './body.js';
import type { PeerIdentity } from '../tls/identity.js';

// RFC 9110 §7.6.1 hop-by-hop fields, plus the ones this edge owns and must never pass on:
// X-Forwarded-* and Forwarded (set by us, from the socket or the PROXY header) and X-Hubgate-*.
// `Expect` too: the body is already here, whole and verified (Node answered any 100-continue).
const REQUEST_DROPPED: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'host', 'expect',
  'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port',
]);

const RESPONSE_DROPPED: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** The headers a Connection field names are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(connection: string | string[] | undefined): ReadonlySet<string> | undefined {
  if (connection === undefined) return undefined;
  const tokens = new Set<string>();
  for (const token of (Array.isArray(connection) ? connection.join(',') : connection).split(',')) {
    tokens.add(token.trim().toLowerCase());
  }
  return tokens;
}

/** Copies the end-to-end headers: none in `dropped`, none the Connection field names, none that
 *  `owned` claims, each judged by `spell(name)`. Runs once per request and per response: the
 *  fixed set is never copied. */
function endToEnd(
  headers: Record<string, string | string[] | undefined>,
  dropped: ReadonlySet<string>,
  owned: (name: string) => boolean = () => false,
  spell: (name: string) => string = (name) => name,
): OutgoingHttpHeaders {
  const named = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    const key = spell(name);
    if (dropped.has(key) || named?.has(key) || owned(key)) continue;
    out[name] = headers[name];
  }
  return out;
}

const isHubgateHeader = (name: string) => name.startsWith('x-hubgate-');
// CGI/WSGI apps read `X_Hubgate_App` and `X-Hubgate-App` as one HTTP_X_HUBGATE_APP, and some take
// `Transfer_Encoding` for framing: a request header with `_` is judged by its `-` spelling.
const cgiSpelling = (name: string) => (name.includes('_') ? name.replaceAll('_', '-') : name);

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
  const out = endToEnd(inbound, REQUEST_DROPPED, isHubgateHeader, cgiSpelling);
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
 *  connection is ours to manage; Node frames the body for it), including any header its
 *  Connection field names. */
export function responseHeaders(headers: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  return endToEnd(headers, RESPONSE_DROPPED);
}

export interface Forwarder {
  forward(req: IncomingMessage, res: ServerResponse, ctx: ForwardContext): Promise<Forwarded | Refusal>;
  close(): Promise<void>;
}

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
// Log details in node:http's vocabulary where the meaning is the same, so alerts do not depend
// on the engine.
const DETAIL: Record<string, string> = { UND_ERR_HEADERS_OVERFLOW: 'HPE_HEADER_OVERFLOW' };

export function createForwarder(options: { connections?: number } = {}): Forwarder {
  const agent = new Agent({ connections: options.connections ?? 256, pipelining: 1, keepAliveTimeout: 60_000 });

  return {
    forward(req, res, ctx) {
      const sentAt = process.hrtime.bigint();
      let status = 0;
      let upstreamSeconds = 0;
      const chunks = ctx.body.chunks;
      // One chunk goes as is; several go as an iterable (undici writes them in turn: no copy).
      const body = chunks.length === 0 ? null : chunks.length === 1 ? chunks[0]! : (chunks as unknown as Buffer);
      return new Promise<Forwarded | Refusal>((resolve) => {
        agent.stream(
          {
            origin: ctx.routed.app.upstreamOrigin,
            path: ctx.routed.upstreamUrl,
            method: (req.method ?? 'GET') as 'GET' | 'POST',
            headers: forwardHeaders(req, ctx) as Record<string, string>,
            body,
            // upstreamTimeoutMs bounds the wait for the answer's head and every silence inside its
            // body: an app that sends 200 and then stalls cannot hold the client's connection
            // (and a maxConnections slot) forever. (A per-request AbortController deadline on
            // the whole answer cost 12 % of requests/s at 1 KB in an A/B run: 7,800 vs 8,800.)
            headersTimeout: ctx.upstreamTimeoutMs,
            bodyTimeout: ctx.upstreamTimeoutMs,
          },
          ({ statusCode, headers }) => {
            status = statusCode;
            upstreamSeconds = Number(process.hrtime.bigint() - sentAt) / 1e9;
            res.writeHead(statusCode, responseHeaders(headers));
            return res;
          },
          (err: (Error & { code?: string }) | null) => {
            if (!err) return resolve({ status, upstreamSeconds });
            // Headers already on their way: the status the client saw came from the upstream,
            // and closing the connection tells it the body is incomplete.
            if (res.headersSent) {
              res.destroy();
              return resolve({ status: status || 502, upstreamSeconds });
            }
            const code = err.code ?? err.name ?? err.message;
            resolve(refuse(TIMEOUTS.has(code) ? 'upstream_timeout' : 'upstream_unreachable', DETAIL[code] ?? code));
          },
        );
      });
    },
    close: () => agent.close(),
  };
}
