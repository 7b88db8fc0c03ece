// PROXY protocol v1 (text) and v2 (binary), as sent by HAProxy `send-proxy[-v2]`, AWS NLB and GCP
// load balancers: the real client address, in front of the TLS bytes, on the raw TCP connection.
// Spec: haproxy doc/proxy-protocol.txt (§2.1 v1, §2.2 v2).
//
// Implemented here rather than with an npm parser: the maintained ones parse a complete buffer and
// leave the streaming part (how many bytes to wait for, what to give back to TLS) to the caller,
// which is most of the work and where the security lies.
import type { Socket } from 'node:net';
import ipaddr from 'ipaddr.js';

export type ProxyHeader =
  | {
      readonly local: false;
      readonly version: 1 | 2;
      readonly sourceAddress: string;
      readonly sourcePort: number;
      readonly destinationAddress: string;
      readonly destinationPort: number;
    }
  /** LOCAL (v2) or UNKNOWN (v1): no client address; the spec says use the connection's own. */
  | { readonly local: true; readonly version: 1 | 2 };

export type ProxyHeaderErrorCode = 'malformed' | 'too_long' | 'unsupported' | 'timeout' | 'closed';

export class ProxyHeaderError extends Error {
  override readonly name = 'ProxyHeaderError';
  constructor(
    readonly code: ProxyHeaderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');
/** §2.1: "the maximum line lengths the receiver must support including the CRLF are [...] 107". */
const V1_MAX_BYTES = 107;
const V2_FIXED_BYTES = 16;
/** Addresses plus the TLVs NLB/GCP/HAProxy send fit well below this; anything longer is refused. */
export const DEFAULT_V2_MAX_BYTES = 4096;
const PORT = /^(0|[1-9]\d{0,4})$/;

/** True when the bytes seen so far agree with `signature` (either may be the shorter). */
function agrees(buf: Buffer, signature: Buffer): boolean {
  const n = Math.min(buf.length, signature.length);
  return buf.compare(signature, 0, n, 0, n) === 0;
}

const bad = (code: ProxyHeaderErrorCode, message: string): ProxyHeaderError => new ProxyHeaderError(code, message);

/** Same text as Node reports for a dual-stack socket: `::ffff:a.b.c.d` for IPv4-mapped peers. */
function v6Text(address: ipaddr.IPv6): string {
  return address.isIPv4MappedAddress() ? `::ffff:${address.toIPv4Address().toString()}` : address.toRFC5952String();
}

function v1Address(text: string, family: 'TCP4' | 'TCP6'): string {
  if (family === 'TCP4') {
    // Strict dotted quad: `010.0.0.1` must not be read as 8.0.0.1 somewhere and 10.0.0.1 elsewhere.
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) throw bad('malformed', 'PROXY v1: invalid TCP4 address');
    return text;
  }
  // No zone ids, and an embedded IPv4 part must be a strict dotted quad too.
  const embedded = text.includes('.') ? text.slice(text.lastIndexOf(':') + 1) : undefined;
  if (text.includes('%') || (embedded !== undefined && !ipaddr.IPv4.isValidFourPartDecimal(embedded)) || !ipaddr.IPv6.isValid(text)) {
    throw bad('malformed', 'PROXY v1: invalid TCP6 address');
  }
  return v6Text(ipaddr.IPv6.parse(text));
}

function v1Port(text: string): number {
  if (!PORT.test(text) || Number(text) > 65535) throw bad('malformed', 'PROXY v1: invalid port');
  return Number(text);
}

function parseV1(buf: Buffer): { header: ProxyHeader; length: number } | undefined {
  const lf = buf.subarray(0, V1_MAX_BYTES).indexOf(0x0a);
  if (lf === -1) {
    if (buf.length >= V1_MAX_BYTES) throw bad('too_long', `PROXY v1: no CRLF within ${V1_MAX_BYTES} bytes`);
    return undefined;
  }
  if (buf[lf - 1] !== 0x0d) throw bad('malformed', 'PROXY v1: line does not end with CRLF');
  const fields = buf.toString('latin1', 0, lf - 1).split(' ');
  const family = fields[1];
  // §2.1: after UNKNOWN the receiver must ignore the rest of the line and use the real endpoints.
  if (family === 'UNKNOWN') return { header: { local: true, version: 1 }, length: lf + 1 };
  if (family !== 'TCP4' && family !== 'TCP6') throw bad('unsupported', 'PROXY v1: protocol is not TCP4, TCP6 or UNKNOWN');
  if (fields.length !== 6) throw bad('malformed', 'PROXY v1: expected 6 space-separated fields');
  const [, , source = '', destination = '', sourcePort = '', destinationPort = ''] = fields;
  return {
    header: {
      local: false,
      version: 1,
      sourceAddress: v1Address(source, family),
      sourcePort: v1Port(sourcePort),
      destinationAddress: v1Address(destination, family),
      destinationPort: v1Port(destinationPort),
    },
    length: lf + 1,
  };
}

function parseV2(buf: Buffer, maxBytes: number): { header: ProxyHeader; length: number } | undefined {
  if (buf.length < V2_FIXED_BYTES) return undefined;
  const versionCommand = buf[12] ?? 0;
  const familyTransport = buf[13] ?? 0;
  const length = V2_FIXED_BYTES + buf.readUInt16BE(14);
  if (versionCommand >> 4 !== 2) throw bad('malformed', 'PROXY v2: version is not 2');
  const command = versionCommand & 0x0f;
  if (command > 1) throw bad('malformed', 'PROXY v2: command is neither LOCAL nor PROXY');
  if (length > maxBytes) throw bad('too_long', `PROXY v2: header of ${length} bytes exceeds ${maxBytes}`);
  if (buf.length < length) return undefined;
  const family = familyTransport >> 4;
  // §2.2: LOCAL (health checks from the proxy itself) and AF_UNSPEC carry no client address; the
  // receiver uses the connection's own endpoints, exactly as for v1 UNKNOWN.
  if (command === 0 || family === 0) return { header: { local: true, version: 2 }, length };
  const transport = familyTransport & 0x0f;
  // §2.2: values beyond UNIX and DGRAM "must be rejected as invalid by receivers".
  if (family > 3 || transport > 2) throw bad('malformed', 'PROXY v2: unknown address family or transport');
  if (family === 3) throw bad('unsupported', 'PROXY v2: address family is UNIX');
  if (transport !== 1) throw bad('unsupported', 'PROXY v2: transport is not STREAM (TCP)');
  const size = family === 1 ? 4 : 16;
  // Addresses first, then ports; TLV vectors may follow up to `length` and are skipped (§2.2).
  if (length < V2_FIXED_BYTES + 2 * size + 4) throw bad('malformed', 'PROXY v2: address block shorter than its family');
  const at = (offset: number): string => {
    const bytes = [...buf.subarray(offset, offset + size)];
    return family === 1 ? bytes.join('.') : v6Text(ipaddr.fromByteArray(bytes) as ipaddr.IPv6);
  };
  const ports = V2_FIXED_BYTES + 2 * size;
  return {
    header: {
      local: false,
      version: 2,
      sourceAddress: at(V2_FIXED_BYTES),
      destinationAddress: at(V2_FIXED_BYTES + size),
      sourcePort: buf.readUInt16BE(ports),
      destinationPort: buf.readUInt16BE(ports + 2),
    },
    length,
  };
}

/**
 * Parses a PROXY header at the start of `buf`. Returns undefined while more bytes are needed,
 * otherwise the header and how many bytes it took; throws ProxyHeaderError as soon as the bytes
 * cannot be a valid header (a TLS ClientHello is refused at its first byte).
 */
export function parseProxyHeader(
  buf: Buffer,
  maxV2Bytes: number = DEFAULT_V2_MAX_BYTES,
): { header: ProxyHeader; length: number } | undefined {
  if (agrees(buf, V2_SIGNATURE)) return parseV2(buf, maxV2Bytes);
  if (agrees(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? undefined : parseV1(buf);
  throw bad('malformed', 'connection does not start with a PROXY protocol v1 or v2 header');
}

export interface ReadProxyHeaderOptions {
  /** Deadline for the whole header: a slow sender cannot hold the connection open. */
  readonly timeoutMs: number;
  readonly maxV2Bytes?: number;
}

/**
 * Reads the PROXY header from a raw socket before anything else reads it, and puts back
 * (`unshift`) the bytes that follow it so the TLS layer sees the ClientHello intact. On rejection
 * the socket is left open: the caller logs `proxy_header_invalid` and destroys it.
 */
export function readProxyHeader(socket: Socket, options: ReadProxyHeaderOptions): Promise<ProxyHeader> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    const fail = (err: ProxyHeaderError): void => {
      cleanup();
      reject(err);
    };
    const onEnd = (): void => fail(bad('closed', `connection closed after ${buffered.length} bytes of PROXY header`));
    const onError = (err: Error): void => fail(new ProxyHeaderError('closed', `connection error: ${err.message}`, { cause: err }));
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        let parsed;
        try {
          parsed = parseProxyHeader(buffered, options.maxV2Bytes);
        } catch (err) {
          return fail(err as ProxyHeaderError);
        }
        if (parsed !== undefined) {
          cleanup();
          if (parsed.length < buffered.length) socket.unshift(buffered.subarray(parsed.length));
          return resolve(parsed.header);
        }
      }
    };
    const timer = setTimeout(
      () => fail(bad('timeout', `no complete PROXY header within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
  });
}
