// The stage-9 engine on undici's keep-alive pools (docs/decisions/0001-forwarding-engine.md):
// sends an Outbound and relays the upstream's answer into a Responder as it arrives.
import { Writable } from 'node:stream';
import { Agent } from 'undici';
import { refuse, type Refusal } from '../refusal.js';
import type { Responder } from '../http/exchange.js';
import { responseHeaders, type Forwarded, type Forwarder, type Outbound } from '../pipeline/forward.js';

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
// Log details in node:http's vocabulary where the meaning is the same, so alerts do not depend
// on the engine.
const DETAIL: Record<string, string> = { UND_ERR_HEADERS_OVERFLOW: 'HPE_HEADER_OVERFLOW' };

/** undici's header object (lower-case names, arrays for repeated fields) as a flat list. */
function flatten(headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  return out;
}

/** The upstream's body into the client's answer, with the client's backpressure. */
function relay(sink: Responder): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (sink.destroyed) return callback(new Error('client closed the connection'));
      if (sink.write(chunk)) return callback();
      // The client went away while we waited: failing the write makes undici drop the upstream
      // request instead of holding its connection until a timeout.
      sink.onceDrain(() => callback(sink.destroyed ? new Error('client closed the connection') : null));
    },
    final(callback) {
      sink.end();
      callback();
    },
  });
}

/** A fan-out destination's body: read and dropped; only its status matters. */
function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

export function createUndiciForwarder(options: { connections?: number } = {}): Forwarder {
  const agent = new Agent({ connections: options.connections ?? 256, pipelining: 1, keepAliveTimeout: 60_000 });

  return {
    send(outbound: Outbound, sink: Responder | null, timeoutMs: number) {
      const sentAt = process.hrtime.bigint();
      let status = 0;
      let upstreamSeconds = 0;
      const chunks = outbound.body;
      // One chunk goes as is; several go as an iterable (undici writes them in turn: no copy).
      const body = chunks.length === 0 ? null : chunks.length === 1 ? chunks[0]! : (chunks as unknown as Buffer);
      return new Promise<Forwarded | Refusal>((resolve) => {
        agent.stream(
          {
            origin: outbound.origin,
            path: outbound.path,
            method: outbound.method as 'GET' | 'POST',
            headers: outbound.headers as string[],
            body,
            // timeoutMs bounds the wait for the answer's head and every silence inside its body:
            // an app that sends 200 and then stalls cannot hold the client's connection (and a
            // maxConnections slot) forever. (A per-request AbortController deadline on the whole
            // answer cost 12 % of requests/s at 1 KB in an A/B run: 7,800 vs 8,800.)
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
          },
          ({ statusCode, headers }) => {
            status = statusCode;
            upstreamSeconds = Number(process.hrtime.bigint() - sentAt) / 1e9;
            if (sink === null) return discard();
            sink.writeHead(statusCode, responseHeaders(flatten(headers as Record<string, string | string[]>)));
            return relay(sink);
          },
          (err: (Error & { code?: string }) | null) => {
            if (!err) return resolve({ status, upstreamSeconds });
            // Headers already on their way: the status the client saw came from the upstream,
            // and closing the connection tells it the body is incomplete.
            if (sink?.headersSent) {
              sink.destroy();
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
