// The stage-9 engine (docs/decisions/0004-data-path.md): hubgate's own HTTP/1.1 client to the
// apps, on keep-alive pools per origin (pool.ts) over net.Socket, the answers read by the
// codec's strict ResponseParser. An answer that parser refuses is a 502 `upstream_malformed`
// before its head reaches the client, a cut connection after (issue 14): the app's status goes
// to Meta only when the app said it in well-formed HTTP/1.1.
import { requestHead } from '../http/codec/index.js';
import type { Responder } from '../http/exchange.js';
import type { Forwarded, Forwarder, Outbound } from '../pipeline/forward.js';
import type { Refusal } from '../refusal.js';
import { UpstreamExchange } from './exchange.js';
import { DEFAULT_IDLE_MS } from './keep-alive.js';
import { Pool } from './pool.js';

/** Up to this size the head and the body are copied into one Buffer: one write, one segment. */
const ONE_BUFFER_UP_TO = 64 * 1024;

export interface UpstreamClientOptions {
  /** Open connections per origin; requests beyond wait for one (default 256). */
  connections?: number;
  /** Idle time of a connection whose app sent no Keep-Alive hint (default 500 ms). */
  idleMs?: number;
}

/** Ours, hop-by-hop: HTTP/1.1 keeps the connection anyway, but an app can see that we mean to. */
const KEEP_ALIVE: readonly string[] = ['Connection', 'keep-alive'];

/** The request as bytes: the head is checked (no field or target can split the message). */
function payload(outbound: Outbound): Buffer | Buffer[] {
  const head = requestHead(outbound.method, outbound.path, outbound.headers, KEEP_ALIVE);
  let bodyLength = 0;
  for (const chunk of outbound.body) bodyLength += chunk.length;
  if (bodyLength > ONE_BUFFER_UP_TO) return [Buffer.from(head, 'latin1'), ...outbound.body];
  const buf = Buffer.allocUnsafe(head.length + bodyLength);
  let at = buf.write(head, 0, 'latin1');
  for (const chunk of outbound.body) at += chunk.copy(buf, at);
  return buf;
}

export function createUpstreamClient(options: UpstreamClientOptions = {}): Forwarder {
  const pools = new Map<string, Pool>();
  const limit = options.connections ?? 256;
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;

  return {
    send(outbound: Outbound, sink: Responder | null, timeoutMs: number): Promise<Forwarded | Refusal> {
      let pool = pools.get(outbound.origin);
      if (pool === undefined) {
        pool = new Pool(outbound.origin, limit, idleMs);
        pools.set(outbound.origin, pool);
      }
      const bytes = payload(outbound);
      const target = pool;
      return new Promise((resolve) => target.dispatch(new UpstreamExchange(bytes, sink, timeoutMs, resolve)));
    },
    async close(): Promise<void> {
      for (const pool of pools.values()) pool.close();
      pools.clear();
    },
  };
}
