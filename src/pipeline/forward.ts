// Stage 9: what goes to the app and what comes back (SPEC.md §2 "Forwarding"). The body goes out
// byte for byte as it was received and verified; the request's end-to-end headers go with it,
// minus what this edge owns; the upstream's status, headers and body come back. How the bytes
// travel is the engine's business (src/upstream/): the stage builds an Outbound and hands it to
// a Forwarder. An upstream failure before its response head is a 502/504: the gateway never
// answers 2xx to a POST the upstream did not (Meta then retries for 36 h).
import type { Refusal } from '../refusal.js';
import type { HeaderList, HubRequest, Responder } from '../http/exchange.js';
import type { Routed } from './route.js';
import type { Body } from './body.js';
import type { PeerIdentity } from '../tls/identity.js';

// RFC 9110 §7.6.1 hop-by-hop fields, plus the ones this edge owns and must never pass on:
// X-Forwarded-* and Forwarded (set by us, from the socket or the PROXY header) and X-Hubgate-*.
// `Expect` too: the body is already here, whole and verified (100-continue was answered).
const REQUEST_DROPPED: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'host', 'expect',
  'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port',
]);

const RESPONSE_DROPPED: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** The field names a Connection field lists are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(headers: HeaderList): ReadonlySet<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'connection') continue;
    tokens ??= new Set();
    for (const token of headers[i + 1]!.split(',')) tokens.add(token.trim().toLowerCase());
  }
  return tokens;
}

const neverOwned = () => false;
const asIs = (name: string) => name;

/** Copies the end-to-end fields, in order and as spelt: none in `dropped`, none a Connection
 *  field names, none that `owned` claims, each judged by `spell(lower-case name)`. */
function endToEnd(headers: HeaderList, dropped: ReadonlySet<string>, owned: (name: string) => boolean = neverOwned, spell: (name: string) => string = asIs): string[] {
  const named = connectionTokens(headers);
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const key = spell(headers[i]!.toLowerCase());
    if (dropped.has(key) || named?.has(key) || owned(key)) continue;
    out.push(headers[i]!, headers[i + 1]!);
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

/** One request to one upstream, ready to send. */
export interface Outbound {
  /** `http://host:port` */
  readonly origin: string;
  /** Path and query. */
  readonly path: string;
  readonly method: string;
  readonly headers: HeaderList;
  readonly body: readonly Buffer[];
}

export interface Forwarded {
  readonly status: number;
  /** Seconds from sending to the upstream's response head. */
  readonly upstreamSeconds: number;
}

/** The engine for stage 9: sends an Outbound and relays the answer into `sink` — or, with `sink`
 *  null (a fan-out destination), reads only its status and discards its body. */
export interface Forwarder {
  send(outbound: Outbound, sink: Responder | null, timeoutMs: number): Promise<Forwarded | Refusal>;
  close(): Promise<void>;
}

export function forwardHeaders(req: HubRequest, ctx: ForwardContext): string[] {
  const out = endToEnd(req.rawHeaders, REQUEST_DROPPED, isHubgateHeader, cgiSpelling);
  const host = req.header('host');
  if (host !== undefined) out.push('host', host);
  if (ctx.body.length > 0 || req.method === 'POST') out.push('content-length', String(ctx.body.length));
  out.push('x-forwarded-for', ctx.clientAddress, 'x-forwarded-proto', 'https');
  if (host !== undefined) out.push('x-forwarded-host', host);
  out.push('x-hubgate-app', ctx.routed.app.name);
  if (ctx.peer) out.push('x-hubgate-client-cert-sha256', ctx.peer.fingerprint);
  return out;
}

/** The request to the app's upstream, as stage 9 sends it when nothing is rewritten. */
export function outboundRequest(req: HubRequest, ctx: ForwardContext): Outbound {
  return {
    origin: ctx.routed.app.upstreamOrigin,
    path: ctx.routed.upstreamUrl,
    method: req.method,
    headers: forwardHeaders(req, ctx),
    body: ctx.body.chunks,
  };
}

/** The upstream's response fields minus its own connection management (the client's
 *  connection is ours to manage; the engine frames the body for it), including any field its
 *  Connection field names. */
export function responseHeaders(headers: HeaderList): string[] {
  return endToEnd(headers, RESPONSE_DROPPED);
}
