// A delivery over a TLS connection that offers a saved session: did the server resume it, did the
// gateway answer, and which sessions did the server hand out.
import { connect } from 'node:tls';
import type { ClientCredentials } from './pki.js';
import { parseResponses, rawRequest } from './raw.js';
import { sign } from './client.js';

export interface ResumeTarget {
  port: number;
  ca: string;
  client: ClientCredentials;
  version: 'TLSv1.2' | 'TLSv1.3';
  secret: string;
  path?: string;
}

export interface Attempt {
  reused: boolean;
  /** HTTP status, or undefined when the connection closed without an answer. */
  status: number | undefined;
  /** Sessions the server issued on this connection (TLS 1.3 sends two tickets), last is newest. */
  sessions: Buffer[];
  /** The session to offer next time: the newest ticket, including one renewed during a resumed
   *  TLS 1.2 handshake (OpenSSL reports no new session for those, `getSession()` has it). */
  latest: Buffer | undefined;
}

export function attempt(t: ResumeTarget, session?: Buffer): Promise<Attempt> {
  return new Promise((resolve) => {
    const body = '{"object":"page","entry":[]}';
    const sessions: Buffer[] = [];
    const chunks: Buffer[] = [];
    let reused = false;
    let atConnect: Buffer | undefined;
    const socket = connect({
      port: t.port, host: '127.0.0.1', servername: 'localhost', ca: t.ca, ...t.client,
      minVersion: t.version, maxVersion: t.version, session,
    });
    socket.on('session', (s: Buffer) => sessions.push(s));
    socket.on('secureConnect', () => {
      reused = socket.isSessionReused();
      atConnect = socket.getSession();
      socket.write(rawRequest('POST', t.path ?? '/webhooks/shop', [
        'Host: localhost', 'Connection: close', `X-Hub-Signature-256: ${sign(body, t.secret)}`, `Content-Length: ${body.length}`,
      ], body));
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('close', () => {
      const [first] = parseResponses(Buffer.concat(chunks)).responses;
      resolve({ reused, status: first?.status, sessions, latest: sessions.at(-1) ?? atConnect });
    });
  });
}
