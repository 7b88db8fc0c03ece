// Session-ticket keys (SPEC §3 `tls.ticketKeyFile`). A ticket is the server's encrypted copy of a
// session; the client hands it back to resume without a full handshake. For that to work on any
// worker (and any replica), all must encrypt and decrypt with the same keys.
//
// A key is 48 bytes: 16 name, 16 HMAC-SHA256 key, 16 AES-128-CBC key — the layout of nginx's
// 48-byte `ssl_session_ticket_key` and of Node's `setTicketKeys`. The first key encrypts new
// tickets; every key decrypts, and a ticket under an older key is answered with a fresh one.
//
// Node's public API holds one key only (`setTicketKeys`), which would make every rotation drop all
// sessions at once. OpenSSL's ticket-key callback keeps several; Node exposes it on the secure
// context (`enableTicketKeyCallback`, `onticketkeycallback`) on tls.Server and https.Server alike.
// Where a Node lacks it, the first key is installed with `setTicketKeys` and a rotation costs the
// previous key's sessions a full handshake.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Server as TlsServer } from 'node:tls';

export const TICKET_KEY_BYTES = 48;
export const MAX_TICKET_KEYS = 16;
const ZERO = Buffer.alloc(16);
const BASE64_KEY = /^[A-Za-z0-9+/]{64}$/;

/** The file: one key per line as base64 (`openssl rand -base64 48`), `#` comments allowed; or
 *  raw bytes, one or more 48-byte keys back to back (`openssl rand 48`, nginx's format). */
export function parseTicketKeyFile(bytes: Buffer): Buffer[] {
  const lines = bytes.toString('latin1').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  let keys: Buffer[];
  if (lines.length > 0 && lines.every((l) => BASE64_KEY.test(l))) keys = lines.map((l) => Buffer.from(l, 'base64'));
  else if (bytes.length > 0 && bytes.length % TICKET_KEY_BYTES === 0) {
    keys = [];
    for (let at = 0; at < bytes.length; at += TICKET_KEY_BYTES) keys.push(Buffer.from(bytes.subarray(at, at + TICKET_KEY_BYTES)));
  } else {
    throw new Error(`must hold ${TICKET_KEY_BYTES}-byte keys: one base64 line each (openssl rand -base64 48) or raw bytes (openssl rand 48)`);
  }
  if (keys.length > MAX_TICKET_KEYS) throw new Error(`holds ${keys.length} keys; at most ${MAX_TICKET_KEYS}`);
  const names = new Set(keys.map((k) => k.subarray(0, 16).toString('hex')));
  if (names.size !== keys.length) throw new Error('holds two keys with the same name (first 16 bytes)');
  return keys;
}

export function newTicketKey(): Buffer {
  return randomBytes(TICKET_KEY_BYTES);
}

interface Parts {
  readonly name: Buffer;
  readonly hmac: Buffer;
  readonly aes: Buffer;
}

type NativeContext = {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => unknown[];
};

/** The keys one TLS server uses. `set` takes effect on the next handshake. */
export class TicketKeys {
  #keys: Parts[] = [];
  /** Set when the secure context has no ticket-key callback: the first key goes to setTicketKeys. */
  #fallback: TlsServer | undefined;

  set(keys: readonly Buffer[]): void {
    if (keys.length === 0) return;
    this.#keys = keys.map((k) => ({ name: k.subarray(0, 16), hmac: k.subarray(16, 32), aes: k.subarray(32, 48) }));
    this.#fallback?.setTicketKeys(Buffer.concat([this.#keys[0]!.name, this.#keys[0]!.hmac, this.#keys[0]!.aes]));
  }

  get count(): number {
    return this.#keys.length;
  }

  /** OpenSSL's callback: [result, hmacKey, aesKey, name?, iv?]; result 1 = use, 2 = use and issue a
   *  fresh ticket, 0 = unknown key (full handshake). Never -1: that aborts the handshake. */
  readonly #callback = (name: Buffer, _iv: Buffer, encrypt: boolean): unknown[] => {
    const keys = this.#keys;
    if (encrypt) {
      const k = keys[0];
      return k ? [1, k.hmac, k.aes, k.name, randomBytes(16)] : [0, ZERO, ZERO, ZERO, ZERO];
    }
    const i = keys.findIndex((k) => timingSafeEqual(k.name, name));
    return i < 0 ? [0, ZERO, ZERO] : [i === 0 ? 1 : 2, keys[i]!.hmac, keys[i]!.aes];
  };

  /** Hook the server's current secure context; call again after every setSecureContext. */
  attach(server: TlsServer): void {
    const context = (server as unknown as { _sharedCreds?: { context?: NativeContext } })._sharedCreds?.context;
    if (context && typeof context.enableTicketKeyCallback === 'function') {
      context.enableTicketKeyCallback();
      context.onticketkeycallback = this.#callback;
      this.#fallback = undefined;
      return;
    }
    this.#fallback = server;
    const first = this.#keys[0];
    if (first) server.setTicketKeys(Buffer.concat([first.name, first.hmac, first.aes]));
  }
}

/** Generated keys, replaced every `periodMs`: [current, previous]. A ticket thus decrypts for at
 *  least one full period after it was issued, and never after two. */
export class TicketKeyRing {
  #keys: Buffer[] = [newTicketKey()];

  rotate(): readonly Buffer[] {
    this.#keys = [newTicketKey(), this.#keys[0]!];
    return this.#keys;
  }

  get keys(): readonly Buffer[] {
    return this.#keys;
  }
}
