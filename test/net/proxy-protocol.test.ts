import net from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProxyHeader, ProxyHeaderError, readProxyHeader } from '../../src/net/proxy-protocol.js';

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** A v2 header: version 2 + command, family + transport, big-endian length, then the body. */
function v2(command: number, familyTransport: number, body: Buffer, version = 2): Buffer {
  const fixed = Buffer.from([(version << 4) | command, familyTransport, 0, 0]);
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIGNATURE, fixed, body]);
}
const port16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const V2_TCP4 = v2(1, 0x11, Buffer.concat([Buffer.from([157, 240, 22, 35]), Buffer.from([10, 0, 0, 5]), port16(51234), port16(8443)]));
const V6_SOURCE = Buffer.from('2a032880f12c0083faceb00c000025de', 'hex');
const V6_DEST = Buffer.from('20010db8000000000000000000000001', 'hex');
const V2_TCP6 = v2(1, 0x21, Buffer.concat([V6_SOURCE, V6_DEST, port16(40000), port16(443)]));

function parseError(buf: Buffer): ProxyHeaderError {
  try {
    parseProxyHeader(buf);
  } catch (err) {
    expect(err).toBeInstanceOf(ProxyHeaderError);
    return err as ProxyHeaderError;
  }
  throw new Error('expected a ProxyHeaderError');
}

describe('parseProxyHeader v1', () => {
  it('reads a TCP4 line and says how many bytes it took', () => {
    const line = Buffer.from('PROXY TCP4 157.240.22.35 10.0.0.5 51234 8443\r\nGET');
    expect(parseProxyHeader(line)).toEqual({
      header: { local: false, version: 1, sourceAddress: '157.240.22.35', sourcePort: 51234, destinationAddress: '10.0.0.5', destinationPort: 8443 },
      length: line.length - 3,
    });
  });

  it('reads a TCP6 line, normalising addresses as Node reports them', () => {
    const parsed = parseProxyHeader(Buffer.from('PROXY TCP6 2A03:2880:F12C:83:FACE:B00C:0:25DE ::ffff:10.0.0.5 40000 443\r\n'));
    expect(parsed?.header).toMatchObject({ sourceAddress: '2a03:2880:f12c:83:face:b00c:0:25de', destinationAddress: '::ffff:10.0.0.5' });
  });

  it('reads UNKNOWN as a connection without a client address', () => {
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN ffff:f...f:ffff 1 2 3\r\n'))?.header).toEqual({ local: true, version: 1 });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))?.header).toEqual({ local: true, version: 1 });
  });

  it('waits for more bytes until the CRLF, one byte at a time', () => {
    const line = Buffer.from('PROXY TCP4 157.240.22.35 10.0.0.5 51234 8443\r\n');
    for (let n = 0; n < line.length; n++) expect(parseProxyHeader(line.subarray(0, n)), `${n} bytes`).toBeUndefined();
    expect(parseProxyHeader(line)?.length).toBe(line.length);
  });

  it('refuses a line longer than 107 bytes without waiting for its end', () => {
    expect(parseError(Buffer.from(`PROXY TCP6 ${'a'.repeat(120)}`)).code).toBe('too_long');
  });

  it.each([
    ['a bare LF', 'PROXY TCP4 1.2.3.4 10.0.0.5 1 2\n'],
    ['a missing field', 'PROXY TCP4 1.2.3.4 10.0.0.5 1\r\n'],
    ['an extra field', 'PROXY TCP4 1.2.3.4 10.0.0.5 1 2 3\r\n'],
    ['double spaces', 'PROXY TCP4  1.2.3.4 10.0.0.5 1 2\r\n'],
    ['an octal-looking address', 'PROXY TCP4 010.2.3.4 10.0.0.5 1 2\r\n'],
    ['an IPv6 address in TCP4', 'PROXY TCP4 ::1 10.0.0.5 1 2\r\n'],
    ['an IPv4 address in TCP6', 'PROXY TCP6 1.2.3.4 ::1 1 2\r\n'],
    ['a zone id', 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n'],
    ['a port above 65535', 'PROXY TCP4 1.2.3.4 10.0.0.5 65536 2\r\n'],
    ['a port with a leading zero', 'PROXY TCP4 1.2.3.4 10.0.0.5 0443 2\r\n'],
    ['a lower-case keyword', 'proxy TCP4 1.2.3.4 10.0.0.5 1 2\r\n'],
  ])('refuses %s as malformed', (_name, text) => {
    expect(parseError(Buffer.from(text)).code).toBe('malformed');
  });

  it('refuses an unknown protocol as unsupported', () => {
    expect(parseError(Buffer.from('PROXY UDP4 1.2.3.4 10.0.0.5 1 2\r\n')).code).toBe('unsupported');
  });
});

describe('parseProxyHeader v2', () => {
  it('reads TCP over IPv4', () => {
    expect(parseProxyHeader(V2_TCP4)).toEqual({
      header: { local: false, version: 2, sourceAddress: '157.240.22.35', sourcePort: 51234, destinationAddress: '10.0.0.5', destinationPort: 8443 },
      length: 28,
    });
  });

  it('reads TCP over IPv6', () => {
    expect(parseProxyHeader(V2_TCP6)?.header).toMatchObject({ sourceAddress: '2a03:2880:f12c:83:face:b00c:0:25de', sourcePort: 40000, destinationAddress: '2001:db8::1' });
  });

  it('skips TLVs after the addresses (AWS NLB sends its VPC endpoint id there)', () => {
    const tlv = Buffer.concat([Buffer.from([0xea, 0x00, 0x05]), Buffer.from('vpce!')]);
    const body = Buffer.concat([V2_TCP4.subarray(16), tlv]);
    const parsed = parseProxyHeader(Buffer.concat([v2(1, 0x11, body), Buffer.from('TLS')]));
    expect(parsed?.length).toBe(16 + body.length);
    expect(parsed?.header).toMatchObject({ sourceAddress: '157.240.22.35' });
  });

  it('reads LOCAL (a health check from the proxy itself), ignoring the address block', () => {
    expect(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0)))).toEqual({ header: { local: true, version: 2 }, length: 16 });
    expect(parseProxyHeader(v2(0, 0x11, V2_TCP4.subarray(16)))?.header).toEqual({ local: true, version: 2 });
  });

  it('reads PROXY with AF_UNSPEC like v1 UNKNOWN', () => {
    expect(parseProxyHeader(v2(1, 0x00, Buffer.alloc(0)))?.header).toEqual({ local: true, version: 2 });
  });

  it('waits for more bytes until the announced length, one byte at a time', () => {
    for (let n = 0; n < V2_TCP6.length; n++) expect(parseProxyHeader(V2_TCP6.subarray(0, n)), `${n} bytes`).toBeUndefined();
    expect(parseProxyHeader(V2_TCP6)?.length).toBe(V2_TCP6.length);
  });

  it.each([
    ['UNIX sockets', v2(1, 0x31, Buffer.alloc(216))],
    ['UDP', v2(1, 0x12, V2_TCP4.subarray(16))],
  ])('refuses %s as unsupported', (_name, header) => {
    expect(parseError(header).code).toBe('unsupported');
  });

  it.each([
    ['version 1 in the binary form', v2(1, 0x11, V2_TCP4.subarray(16), 1)],
    ['an unknown command', v2(2, 0x11, V2_TCP4.subarray(16))],
    ['an unknown family', v2(1, 0x41, Buffer.alloc(12))],
    ['an address block shorter than IPv6 needs', v2(1, 0x21, Buffer.alloc(12))],
  ])('refuses %s as malformed', (_name, header) => {
    expect(parseError(header).code).toBe('malformed');
  });

  it('refuses a header longer than the limit before reading it', () => {
    const head = v2(1, 0x11, Buffer.alloc(12)).subarray(0, 16);
    head.writeUInt16BE(60000, 14);
    expect(parseError(head).code).toBe('too_long');
  });

  it('refuses a TLS ClientHello (no PROXY header) at its first byte', () => {
    expect(parseError(Buffer.from([0x16])).code).toBe('malformed');
    expect(parseError(Buffer.from('GET / HTTP/1.1\r\n')).code).toBe('malformed');
  });
});

// ---- over real loopback sockets ----------------------------------------------------------------

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A listening server on 127.0.0.1 and a connected client; resolves with both ends. */
async function connectedPair(options: net.ServerOpts = {}): Promise<{ client: net.Socket; server: net.Socket }> {
  const listener = net.createServer(options);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  cleanups.push(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { client, server };
}

/** Yields to the event loop until `condition` holds; bounded by the test timeout, not a clock. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function readAll(socket: net.Socket | tls.TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.once('end', () => resolve(text));
    socket.once('error', reject);
  });
}

// The client pins this certificate rather than checking a name: framing is under test here.
let certificate: Promise<{ key: string; cert: string }> | undefined;
function testCertificate(): Promise<{ key: string; cert: string }> {
  certificate ??= generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048 }).then((p) => ({ key: p.private, cert: p.cert }));
  return certificate;
}

describe('readProxyHeader on a socket', () => {
  it('reads a v1 header and gives the bytes after it back to the socket', async () => {
    const { client, server } = await connectedPair();
    client.end('PROXY TCP4 157.240.22.35 10.0.0.5 51234 8443\r\nfirst bytes of TLS');
    const header = await readProxyHeader(server, { timeoutMs: 10_000 });
    expect(header).toMatchObject({ sourceAddress: '157.240.22.35', sourcePort: 51234 });
    expect(await readAll(server)).toBe('first bytes of TLS');
  });

  it('reads a v2 header and gives the bytes after it back to the socket', async () => {
    const { client, server } = await connectedPair();
    client.end(Buffer.concat([V2_TCP6, Buffer.from('after')]));
    expect(await readProxyHeader(server, { timeoutMs: 10_000 })).toMatchObject({ version: 2, sourceAddress: '2a03:2880:f12c:83:face:b00c:0:25de' });
    expect(await readAll(server)).toBe('after');
  });

  it('reads a LOCAL v2 header', async () => {
    const { client, server } = await connectedPair();
    client.write(v2(0, 0x00, Buffer.alloc(0)));
    expect(await readProxyHeader(server, { timeoutMs: 10_000 })).toEqual({ local: true, version: 2 });
  });

  it.each([
    ['v1', Buffer.from('PROXY TCP4 157.240.22.35 10.0.0.5 51234 8443\r\n')],
    ['v2', V2_TCP4],
  ])('assembles a %s header split across packets', async (_name, header) => {
    const { client, server } = await connectedPair();
    let settled = false;
    const reading = readProxyHeader(server, { timeoutMs: 10_000 }).finally(() => (settled = true));
    for (const part of [header.subarray(0, 3), header.subarray(3, 14), header.subarray(14)]) {
      expect(settled).toBe(false);
      const target = server.bytesRead + part.length;
      client.write(part);
      await until(() => server.bytesRead >= target);
    }
    client.end('rest');
    expect(await reading).toMatchObject({ sourceAddress: '157.240.22.35' });
    expect(await readAll(server)).toBe('rest');
  });

  it('rejects a connection that starts with TLS instead of a header, at once', async () => {
    const { client, server } = await connectedPair();
    client.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    await expect(readProxyHeader(server, { timeoutMs: 60_000 })).rejects.toMatchObject({ code: 'malformed' });
  });

  it('rejects a connection closed mid-header', async () => {
    const { client, server } = await connectedPair();
    client.end('PROXY TCP4 157.240');
    await expect(readProxyHeader(server, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 'closed' });
  });

  it('rejects a header that does not complete within the deadline', async () => {
    const { client, server } = await connectedPair();
    client.write('PROXY TCP4 ');
    await expect(readProxyHeader(server, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'timeout' });
  });

  it('reads from a socket accepted with pauseOnConnect, as the gateway front accepts them', async () => {
    const { client, server } = await connectedPair({ pauseOnConnect: true });
    client.end(Buffer.concat([V2_TCP4, Buffer.from('after')]));
    expect(await readProxyHeader(server, { timeoutMs: 10_000 })).toMatchObject({ sourceAddress: '157.240.22.35' });
    expect(await readAll(server)).toBe('after');
  });

  it('lets a TLS handshake complete after the header on a pauseOnConnect socket', async () => {
    const { key, cert } = await testCertificate();
    const tlsServer = tls.createServer({ key, cert }, (socket) => socket.end('hello over TLS'));
    const { client, server } = await connectedPair({ pauseOnConnect: true });
    client.write('PROXY TCP4 157.240.22.35 10.0.0.5 51234 8443\r\n');
    const tlsClient = tls.connect({ socket: client, ca: cert, checkServerIdentity: () => undefined });
    cleanups.push(() => tlsClient.destroy());
    expect(await readProxyHeader(server, { timeoutMs: 10_000 })).toMatchObject({ sourceAddress: '157.240.22.35' });
    tlsServer.emit('connection', server);
    server.resume();
    expect(await readAll(tlsClient)).toBe('hello over TLS');
  });

  it('hands a TLS server the ClientHello that arrived in the same read as the header', async () => {
    const { key, cert } = await testCertificate();
    const tlsServer = tls.createServer({ key, cert }, (socket) => socket.end('hello over TLS'));
    const { client, server } = await connectedPair();
    const header = Buffer.from('PROXY TCP6 2a03:2880::1 ::1 40000 443\r\n');
    client.write(header);
    const tlsClient = tls.connect({ socket: client, ca: cert, checkServerIdentity: () => undefined });
    cleanups.push(() => tlsClient.destroy());
    // Let the ClientHello land behind the header before anything reads, as an NLB delivers them.
    await until(() => server.readableLength > header.length);
    expect(await readProxyHeader(server, { timeoutMs: 10_000 })).toMatchObject({ sourceAddress: '2a03:2880::1' });
    tlsServer.emit('connection', server);
    expect(await readAll(tlsClient)).toBe('hello over TLS');
  });
});
