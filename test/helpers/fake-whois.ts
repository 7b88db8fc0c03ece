// A fake RPSL whois server (RFC 3912) on 127.0.0.1 with an OS-picked port, for allowlist tests.
// It records each query line and answers according to its current mode; close() always releases
// the port and every open connection, whatever the mode.
import { readFileSync } from 'node:fs';
import net from 'node:net';

export type FakeWhoisMode =
  /** Sends the current answer, then closes (the normal RFC 3912 exchange). */
  | 'answer'
  /** Accepts and reads the query, never answers. */
  | 'hang'
  /** Resets the connection (RST) after reading the query. */
  | 'reset'
  /** Closes without a byte of answer. */
  | 'empty';

export interface FakeWhois {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `127.0.0.1:PORT`, as `hubgate allowlist --whois` takes it. */
  readonly address: string;
  /** Query lines received, without CRLF. */
  readonly queries: string[];
  setAnswer(text: string): void;
  setMode(mode: FakeWhoisMode): void;
  /** Stops listening (connections are refused) while keeping the port number for up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export const RADB_FIXTURE = readFileSync(new URL('../fixtures/radb-as32934.txt', import.meta.url), 'utf8');

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

export async function startFakeWhois(initialAnswer: string = RADB_FIXTURE): Promise<FakeWhois> {
  let answer = initialAnswer;
  let mode: FakeWhoisMode = 'answer';
  const queries: string[] = [];
  const sockets = new Set<net.Socket>();

  const onConnection = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let line = '';
    socket.on('data', (chunk: Buffer) => {
      if (line.includes('\n')) return;
      line += chunk.toString('latin1');
      const end = line.indexOf('\r\n');
      if (end === -1) return;
      queries.push(line.slice(0, end));
      if (mode === 'hang') return;
      if (mode === 'empty') return void socket.end();
      if (mode === 'reset') return void socket.resetAndDestroy();
      socket.end(answer);
    });
  };

  let server = net.createServer(onConnection);
  const port = await listen(server, 0);

  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    queries,
    setAnswer: (text) => void (answer = text),
    setMode: (next) => void (mode = next),
    down: stop,
    async up() {
      server = net.createServer(onConnection);
      await listen(server, port);
    },
    close: stop,
  };
}
