// What a server says in the clear during a TLS 1.2 handshake, up to ServerHelloDone: the version
// it picks, the certificates it sends, and its CertificateRequest with the CA names it will
// accept. Node's TLS client exposes none of the CertificateRequest, and Meta picks its client
// certificate from those names, so the probe sends its own minimal ClientHello (TLS 1.2 only,
// no key exchange ever completed) and reads records until ServerHelloDone. In TLS 1.3 the
// CertificateRequest is encrypted: a server that speaks only 1.3 answers `protocol_version`,
// and the caller says so instead of guessing.
import { randomBytes } from 'node:crypto';
import { connect, isIP, type Socket } from 'node:net';

export type HelloResult =
  | { kind: 'tls12'; version: number; certificates: Buffer[]; certificateRequest: { caNames: Buffer[] } | null }
  | { kind: 'alert'; description: number }
  | { kind: 'error'; message: string };

/** TLS alert descriptions the probe explains (RFC 8446 §6). */
export const ALERT = { handshake_failure: 40, protocol_version: 70, insufficient_security: 71 } as const;

const HANDSHAKE = 22;
const ALERT_RECORD = 21;
const MAX_BYTES = 256 * 1024; // a certificate chain plus a long CA list fits many times over

// ECDHE/DHE/RSA with AES-GCM, ChaCha20 and AES-CBC: enough that any TLS 1.2 server finds a suite.
const SUITES = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009e, 0x009f, 0x009c, 0x009d, 0x002f, 0x0035];
const GROUPS = [0x001d, 0x0017, 0x0018, 0x0019, 0x0100];
const SIGNATURE_ALGORITHMS = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0807, 0x0201, 0x0203];

const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const list16 = (values: number[]) => vec16(Buffer.concat(values.map(u16)));
const extension = (type: number, body: Buffer) => Buffer.concat([u16(type), vec16(body)]);

export function clientHello(serverName: string): Buffer {
  const extensions = [
    extension(0x000a, list16(GROUPS)), // supported_groups
    extension(0x000b, Buffer.from([1, 0])), // ec_point_formats: uncompressed
    extension(0x000d, list16(SIGNATURE_ALGORITHMS)),
    extension(0x0010, vec16(Buffer.concat([u8(8), Buffer.from('http/1.1')]))), // ALPN
    extension(0x0017, Buffer.alloc(0)), // extended_master_secret
    extension(0xff01, Buffer.from([0])), // renegotiation_info (initial handshake)
  ];
  if (serverName && !isIP(serverName)) {
    const name = Buffer.from(serverName, 'ascii');
    extensions.unshift(extension(0x0000, vec16(Buffer.concat([u8(0), vec16(name)]))));
  }
  const body = Buffer.concat([
    u16(0x0303), // TLS 1.2, and no supported_versions extension: 1.3 is not offered
    randomBytes(32),
    u8(0), // no session id
    list16(SUITES),
    Buffer.from([1, 0]), // compression: null
    vec16(Buffer.concat(extensions)),
  ]);
  const handshake = Buffer.concat([u8(1), u24(body.length), body]);
  return Buffer.concat([u8(HANDSHAKE), u16(0x0301), u16(handshake.length), handshake]);
}

/** Reads `<u24 length><bytes>` items from a TLS 1.2 Certificate message body. */
function certificateList(body: Buffer): Buffer[] {
  const certs: Buffer[] = [];
  const end = 3 + body.readUIntBE(0, 3);
  for (let at = 3; at + 3 <= end; ) {
    const len = body.readUIntBE(at, 3);
    certs.push(body.subarray(at + 3, at + 3 + len));
    at += 3 + len;
  }
  return certs;
}

/** RFC 5246 §7.4.4: certificate_types<1..2^8-1>, supported_signature_algorithms<2^16-1>,
 *  certificate_authorities<0..2^16-1> of DistinguishedName<1..2^16-1> (DER). */
export function certificateRequestCaNames(body: Buffer): Buffer[] {
  let at = 1 + body[0]!;
  at += 2 + body.readUInt16BE(at);
  const end = at + 2 + body.readUInt16BE(at);
  if (end > body.length) throw new Error('CertificateRequest is truncated');
  const names: Buffer[] = [];
  for (at += 2; at + 2 <= end; ) {
    const len = body.readUInt16BE(at);
    names.push(body.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return names;
}

/** Handshake messages (type, body) from a buffer of handshake-record payloads; the rest waits. */
function* messages(buf: Buffer): Generator<{ type: number; body: Buffer; end: number }> {
  for (let at = 0; at + 4 <= buf.length; ) {
    const len = buf.readUIntBE(at + 1, 3);
    if (at + 4 + len > buf.length) return;
    yield { type: buf[at]!, body: buf.subarray(at + 4, at + 4 + len), end: at + 4 + len };
    at += 4 + len;
  }
}

export function readServerHello(host: string, port: number, serverName: string, timeoutMs: number): Promise<HelloResult> {
  return new Promise((resolve) => {
    let records = Buffer.alloc(0);
    let handshake = Buffer.alloc(0);
    let certificates: Buffer[] = [];
    let version = 0;
    let caNames: Buffer[] | null = null;
    const socket: Socket = connect({ host, port });
    let done = false;
    const finish = (r: HelloResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // user_canceled (90), then close: the server logs an abandoned handshake, nothing more.
      if (r.kind === 'tls12' && socket.writable) socket.end(Buffer.from([ALERT_RECORD, 3, 3, 0, 2, 1, 90]));
      else socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ kind: 'error', message: `no ServerHelloDone within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => socket.write(clientHello(serverName)));
    socket.on('error', (err) => finish({ kind: 'error', message: err.message }));
    socket.on('close', () => finish({ kind: 'error', message: 'the server closed the connection during the handshake' }));
    socket.on('data', (chunk: Buffer) => {
      records = Buffer.concat([records, chunk]);
      if (records.length > MAX_BYTES) return finish({ kind: 'error', message: 'handshake larger than 256 KiB' });
      while (records.length >= 5) {
        const len = records.readUInt16BE(3);
        if (records.length < 5 + len) return;
        const [type, payload] = [records[0], records.subarray(5, 5 + len)];
        records = records.subarray(5 + len);
        if (type === ALERT_RECORD) return finish({ kind: 'alert', description: payload[1] ?? 0 });
        if (type !== HANDSHAKE) return finish({ kind: 'error', message: `unexpected TLS record type ${type}` });
        handshake = Buffer.concat([handshake, payload]);
        let consumed = 0;
        try {
          for (const m of messages(handshake)) {
            consumed = m.end;
            if (m.type === 2) version = m.body.readUInt16BE(0);
            else if (m.type === 11) certificates = certificateList(m.body);
            else if (m.type === 13) caNames = certificateRequestCaNames(m.body);
            else if (m.type === 14) {
              return finish({ kind: 'tls12', version, certificates, certificateRequest: caNames ? { caNames } : null });
            }
          }
        } catch (err) {
          return finish({ kind: 'error', message: `unparsable handshake message: ${(err as Error).message}` });
        }
        handshake = handshake.subarray(consumed);
      }
    });
  });
}
