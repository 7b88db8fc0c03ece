// An app that answers with exactly the bytes a test writes, over a plain TCP socket: no HTTP
// library on its side to tidy up a malformed answer. Each request is recorded with the number of
// the connection it came on, so a test can tell a reused upstream connection from a fresh one.
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';

export interface RawRequest {
  /** 0 for the app's first accepted connection, 1 for the next… */
  connection: number;
  text: string;
}

export interface RawApp {
  port: number;
  requests: RawRequest[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Answers each complete request (Content-Length framed); default: `200 ok`. */
  behave: (socket: Socket, request: RawRequest) => void;
  close(): Promise<void>;
}

export const OK_ANSWER = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

export async function startRawApp(): Promise<RawApp> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    const connection = accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        const request = { connection, text: buf.slice(0, end + 4 + length) };
        buf = buf.slice(request.text.length);
        app.requests.push(request);
        app.behave(socket, request);
      }
    });
  });
  const app: RawApp = {
    port: 0,
    requests: [],
    get connections() {
      return accepted;
    },
    behave: (s) => s.write(OK_ANSWER),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  app.port = (server.address() as AddressInfo).port;
  return app;
}
