// A recording upstream: the app behind the gateway. Every test can ask what reached it.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Responder = (req: Received, res: ServerResponse) => void;

export interface RecordingUpstream {
  url: string;
  port: number;
  received: Received[];
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

export const ok: Responder = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('EVENT_RECEIVED');
};

/** `port`: listen on a known port (an upstream coming back after an outage); default a free one. */
export async function startUpstream(responder: Responder = ok, port = 0): Promise<RecordingUpstream> {
  const received: Received[] = [];
  let respond = responder;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      respond(r, res);
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    received,
    respondWith: (r) => (respond = r),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
