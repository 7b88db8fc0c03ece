// Which TLS 1.2 suites an OpenSSL cipher string really selects, asked of OpenSSL itself: a TLS
// client configured with the string writes its ClientHello into an in-memory stream (synchronously,
// so config loading stays synchronous), and the cipher_suites field of that ClientHello is the
// list. Node has no API that lists a context's suites, and re-implementing OpenSSL's cipher-string
// algebra (aliases, !, -, +, @STRENGTH, @SECLEVEL) would drift from the library that serves.
import { connect, getCiphers } from 'node:tls';
import { Duplex } from 'node:stream';

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV: a signal, not a suite. */
const SCSV = 0x00ff;

/** The cipher_suites of a ClientHello record (RFC 5246 §7.4.1.2). */
export function clientHelloSuites(hello: Buffer): number[] {
  // record header (5) + handshake header (4) + client_version (2) + random (32)
  let at = 5 + 4 + 2 + 32;
  if (hello.length < at + 1 || hello[0] !== 22 || hello[5] !== 1) return []; // no ClientHello: no TLS 1.2 suite
  at += 1 + hello[at]!; // session_id
  const length = hello.readUInt16BE(at);
  const ids: number[] = [];
  for (let i = at + 2; i < at + 2 + length; i += 2) {
    const id = hello.readUInt16BE(i);
    if (id !== SCSV) ids.push(id);
  }
  return ids;
}

/** IANA ids of the TLS 1.2 suites selected by `ciphers`, in preference order. Throws OpenSSL's
 *  error ("no cipher match") when the string selects nothing at all. */
export function selectedSuiteIds(ciphers: string): number[] {
  const written: Buffer[] = [];
  const wire = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      written.push(chunk);
      done();
    },
  });
  const socket = connect({ socket: wire, ciphers, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', servername: 'probe.invalid' });
  socket.on('error', () => undefined);
  socket.destroy();
  wire.destroy();
  return written.length === 0 ? [] : clientHelloSuites(Buffer.concat(written));
}

const known = new Map<string, ReadonlySet<number>>();

/** The suites an OpenSSL alias (`AESGCM`, `kECDHE`, `aECDSA`…) stands for: OpenSSL classifies
 *  its suites itself, so nothing here guesses from names. */
export function aliasSuites(alias: string): ReadonlySet<number> {
  let ids = known.get(alias);
  if (!ids) {
    try {
      ids = new Set(selectedSuiteIds(alias));
    } catch {
      ids = new Set();
    }
    known.set(alias, ids);
  }
  return ids;
}

let names: Map<number, string> | undefined;

/** OpenSSL's name of a TLS 1.2 suite (hex id for the few Node does not list). */
export function suiteName(id: number): string {
  if (!names) {
    names = new Map();
    for (const name of getCiphers()) {
      if (name.startsWith('tls_')) continue; // TLS 1.3 suites have no TLS 1.2 id
      const [only] = aliasSuites(name.toUpperCase());
      if (only !== undefined && !names.has(only)) names.set(only, name.toUpperCase());
    }
  }
  return names.get(id) ?? `0x${id.toString(16).padStart(4, '0').toUpperCase()}`;
}
