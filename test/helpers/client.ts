// A TLS client that speaks to the gateway like Meta does: client certificate chain, HTTP/1.1.
import { request } from 'node:https';
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ClientCredentials } from './pki.js';

export interface SendOptions {
  port: number;
  ca: string;
  method?: string;
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
  client?: ClientCredentials;
  host?: string;
  /** Address to connect to (default 127.0.0.1); `host` is the Host header. */
  connectHost?: string;
}

export type Outcome =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; body: string }
  | { kind: 'closed'; code: string };

export function sign(body: Buffer | string, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

export function send(opts: SendOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: opts.connectHost ?? '127.0.0.1',
        servername: 'localhost',
        port: opts.port,
        method: opts.method ?? 'POST',
        path: opts.path,
        headers: { host: opts.host ?? 'localhost', ...opts.headers },
        ca: opts.ca,
        cert: opts.client?.cert,
        key: opts.client?.key,
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ kind: 'response', status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'closed', code: err.code ?? err.message }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'closed', code: err.code ?? err.message }));
    req.end(opts.body);
  });
}

/** A signed POST, as Meta sends an event notification. */
export function post(opts: Omit<SendOptions, 'method'> & { secret: string; body: Buffer | string }): Promise<Outcome> {
  return send({
    ...opts,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(opts.body, opts.secret), ...opts.headers },
  });
}
