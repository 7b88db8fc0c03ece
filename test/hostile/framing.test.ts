// Hostile HTTP framing over real mTLS, written as raw bytes (no client library to normalise
// them). Every case proves the outcome, that nothing partial or unverified reached the app, and
// the invariant of SPEC §2: never a 2xx the upstream did not give.
import { describe, it, expect, beforeAll, beforeEach } from 'vitest';
import { SECRET, eventually } from '../helpers/gateway.js';
import { useGateway, shopApp } from '../helpers/fixture.js';
import { sign } from '../helpers/client.js';
import { exchange, rawRequest, type RawResult, type RawTarget } from '../helpers/raw.js';

const { pki, upstream, gw } = useGateway({
  apps: (upstream) => [shopApp(upstream), { name: 'other', path: '/other', upstream: `${upstream.url}/other-app` }],
});
let meta: RawTarget;
let anonymous: RawTarget;
/** Log lines before this index belong to earlier tests. */
let mark = 0;

const BODY = '{"object":"page","entry":[{"id":"1"}]}';
const SIG = `X-Hub-Signature-256: ${sign(BODY, SECRET)}`;
const CL = `Content-Length: ${BODY.length}`;
const HOST = 'Host: localhost';
/** A chunked encoding of BODY. */
const CHUNKED_BODY = `${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`;

beforeAll(() => {
  meta = { port: gw.port, ca: pki.serverCa, client: pki.meta };
  anonymous = { port: gw.port, ca: pki.serverCa };
});
beforeEach(() => {
  mark = gw.logs.length;
});

/** SPEC §2: the recording upstream answers 200 to everything it receives, so a 2xx seen by the
 *  client must be matched by a request that reached it. */
function expectInvariant(r: RawResult): void {
  const twoXx = r.statuses.filter((s) => s >= 200 && s < 300).length;
  expect(twoXx).toBeLessThanOrEqual(upstream.received.length);
}

async function expectRefused(r: RawResult, status: number, reason: string): Promise<void> {
  expect(r.statuses).toEqual([status]);
  expect(upstream.received).toHaveLength(0);
  expectInvariant(r);
  await eventually(() => gw.logs.slice(mark).find((l) => l.msg === 'request refused' && l.reason === reason));
}

function post(headerLines: string[], body: string = BODY, path = '/webhooks/shop'): Buffer {
  return rawRequest('POST', path, [HOST, SIG, ...headerLines], body);
}

describe('request smuggling: ambiguous body length is refused before anything is forwarded', () => {
  it('refuses Content-Length with Transfer-Encoding (CL.TE), smuggled request included', async () => {
    const smuggled = `0\r\n\r\nPOST /other HTTP/1.1\r\n${HOST}\r\n${SIG}\r\n${CL}\r\n\r\n${BODY}`;
    const r = await exchange(meta, post([`Content-Length: ${smuggled.length}`, 'Transfer-Encoding: chunked'], smuggled));
    await expectRefused(r, 400, 'malformed_request');
    expect(r.closed).toBe(true);
  });

  it('refuses Transfer-Encoding before Content-Length (TE.CL)', async () => {
    const r = await exchange(meta, post(['Transfer-Encoding: chunked', 'Content-Length: 4'], CHUNKED_BODY));
    await expectRefused(r, 400, 'malformed_request');
    expect(r.closed).toBe(true);
  });

  it('refuses two identical Content-Length headers', async () => {
    const r = await exchange(meta, post([CL, CL]));
    await expectRefused(r, 400, 'malformed_request');
  });

  it('refuses two different Content-Length headers', async () => {
    const r = await exchange(meta, post([CL, `Content-Length: ${BODY.length + 5}`], BODY + 'XXXXX'));
    await expectRefused(r, 400, 'malformed_request');
  });

  it.each([
    ['a comma list', 'Content-Length: 38, 38'],
    ['a sign', 'Content-Length: +38'],
    ['hex', 'Content-Length: 0x26'],
    ['an overflowing number', 'Content-Length: 99999999999999999999999999'],
    ['a negative number', 'Content-Length: -1'],
  ])('refuses a Content-Length written as %s', async (_what, header) => {
    const r = await exchange(meta, post([header]));
    await expectRefused(r, 400, 'malformed_request');
  });

  it.each([
    ['an unknown coding', ['Transfer-Encoding: xchunked']],
    ['chunked not last', ['Transfer-Encoding: chunked, identity']],
    ['two Transfer-Encoding headers', ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity']],
    ['a space before the colon', ['Transfer-Encoding : chunked']],
    ['obsolete line folding', ['Transfer-Encoding:', ' chunked']],
    ['identity with a Content-Length', ['Transfer-Encoding: identity', CL]],
  ])('refuses an obfuscated Transfer-Encoding: %s', async (_what, headers) => {
    const r = await exchange(meta, post(headers, CHUNKED_BODY));
    expect(r.statuses).toEqual([400]);
    expect(r.closed).toBe(true);
    expect(upstream.received).toHaveLength(0);
    expectInvariant(r);
  });

  it('forwards a legitimately chunked body (any letter case, tab as whitespace) as Content-Length framing', async () => {
    for (const te of ['Transfer-Encoding: CHUNKED', 'Transfer-Encoding:\tchunked']) {
      upstream.received.length = 0;
      const r = await exchange(meta, post([te], CHUNKED_BODY), { responses: 1 });
      expect(r.statuses).toEqual([200]);
      expect(upstream.received).toHaveLength(1);
      expect(upstream.received[0]!.body.toString()).toBe(BODY);
      // The app never sees the client's framing: hubgate re-frames with its own Content-Length.
      expect(upstream.received[0]!.headers['transfer-encoding']).toBeUndefined();
      expect(upstream.received[0]!.headers['content-length']).toBe(String(BODY.length));
    }
  });

  it.each([
    ['a chunk size that overflows 64 bits', `ffffffffffffffffff${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`],
    ['a negative chunk size', `-26\r\n${BODY}\r\n0\r\n\r\n`],
    ['a chunk size with junk after it', `26 x\r\n${BODY}\r\n0\r\n\r\n`],
    ['bare LF chunk lines', `26\n${BODY}\n0\n\n`],
    ['a 20 kB chunk extension', `26;${'e'.repeat(20_000)}\r\n${BODY}\r\n0\r\n\r\n`],
  ])('refuses %s and forwards nothing', async (_what, chunked) => {
    const r = await exchange(meta, post(['Transfer-Encoding: chunked'], chunked));
    expect(r.statuses).toEqual([400]);
    expect(r.closed).toBe(true);
    expect(upstream.received).toHaveLength(0);
    expectInvariant(r);
  });

  it('never reads a signature from a chunked trailer', async () => {
    const r = await exchange(
      meta,
      rawRequest('POST', '/webhooks/shop', [HOST, 'Transfer-Encoding: chunked', 'Trailer: X-Hub-Signature-256'], `${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n${SIG}\r\n\r\n`),
      { responses: 1 },
    );
    await expectRefused(r, 401, 'signature_missing');
  });
});

describe('invalid header names and values', () => {
  it.each([
    ['a space in a header name', 'Bad Header: x'],
    ['a non-token character in a header name', 'X(Evil): x'],
    ['a control character in a value', 'X-A: a\x01b'],
    ['a NUL in a value', 'X-A: a\x00b'],
    ['a bare CR in a value', 'X-A: a\rb'],
    ['a header line without a colon', 'X-No-Colon'],
  ])('answers 400 to %s and forwards nothing', async (_what, header) => {
    const r = await exchange(meta, post([header, CL]));
    await expectRefused(r, 400, 'malformed_request');
    expect(r.closed).toBe(true);
  });

  it('answers 400 to bare-LF line endings', async () => {
    const r = await exchange(meta, Buffer.from(`POST /webhooks/shop HTTP/1.1\n${HOST}\n${SIG}\n${CL}\n\n${BODY}`));
    await expectRefused(r, 400, 'malformed_request');
  });

  it('answers 400 to a lower-case method', async () => {
    const r = await exchange(meta, rawRequest('post', '/webhooks/shop', [HOST, SIG, CL], BODY));
    await expectRefused(r, 400, 'malformed_request');
  });

  it('never passes on underscore variants of the headers it owns (CGI/WSGI apps read _ as -)', async () => {
    // Found by this suite: X_Hubgate_Client_Cert_Sha256 and X-Hubgate-Client-Cert-Sha256 are the
    // same HTTP_X_HUBGATE_CLIENT_CERT_SHA256 to a CGI/WSGI app, and Transfer_Encoding is framing.
    const r = await exchange(
      anonymous,
      rawRequest('GET', '/webhooks/shop?hub.mode=subscribe&hub.challenge=1', [
        HOST,
        `X_Hubgate_Client_Cert_Sha256: ${'f'.repeat(64)}`,
        'X_Hubgate_App: admin',
        'X_Forwarded_For: 6.6.6.6',
        'Transfer_Encoding: chunked',
        'Content_Length: 5',
        'X_Custom_Header: kept',
      ]),
      { responses: 1 },
    );
    expect(r.statuses).toEqual([200]);
    expect(upstream.received).toHaveLength(1);
    const names = Object.keys(upstream.received[0]!.headers);
    expect(names.filter((n) => n.includes('_'))).toEqual(['x_custom_header']);
    expect(upstream.received[0]!.headers['x-hubgate-client-cert-sha256']).toBeUndefined();
    expect(upstream.received[0]!.headers['x-forwarded-for']).toBe('127.0.0.1');
  });
});

describe('header count and size floods', () => {
  it('answers 431 to 5,000 headers (over limits.maxHeaderBytes) and forwards nothing', async () => {
    const flood = Array.from({ length: 5_000 }, (_, i) => `X-F${i}: v`);
    const r = await exchange(meta, post([...flood, CL]));
    await expectRefused(r, 431, 'headers_too_large');
    expect(r.closed).toBe(true);
  });

  it('answers 431 to one 20 kB header value', async () => {
    const r = await exchange(meta, post([`X-Big: ${'a'.repeat(20_000)}`, CL]));
    await expectRefused(r, 431, 'headers_too_large');
  });

  it('fails safe when more than 2,000 small headers fit the size limit: the ones past 2,000 are dropped, the signature with them', async () => {
    const flood = Array.from({ length: 2_100 }, () => 'a:');
    const r = await exchange(meta, rawRequest('POST', '/webhooks/shop', [HOST, CL, ...flood, SIG], BODY), { responses: 1 });
    await expectRefused(r, 401, 'signature_missing');
  });
});

describe('HTTP versions and pipelining', () => {
  it('serves a signed HTTP/1.0 POST and then closes the connection', async () => {
    const r = await exchange(meta, rawRequest('POST', '/webhooks/shop', [HOST, SIG, CL], BODY, 'HTTP/1.0'));
    expect(r.statuses).toEqual([200]);
    expect(r.closed).toBe(true);
    expect(upstream.received.map((x) => x.body.toString())).toEqual([BODY]);
  });

  it('treats an HTTP/1.0 POST without Content-Length as bodiless: the bytes after it are never forwarded', async () => {
    const r = await exchange(meta, rawRequest('POST', '/webhooks/shop', [HOST, SIG], BODY, 'HTTP/1.0'));
    expect(r.statuses).toHaveLength(1);
    expect([400, 401]).toContain(r.statuses[0]);
    expect(r.closed).toBe(true);
    expect(upstream.received).toHaveLength(0);
  });

  it('gives an HTTP/0.9-style request line no way around the certificate rule', async () => {
    const r = await exchange(anonymous, Buffer.from('GET /webhooks/shop\r\n\r\n'), { responses: 1 });
    await expectRefused(r, 403, 'client_cert_required');
  });

  it('refuses the HTTP/2 connection preface on the HTTP/1.1 port', async () => {
    const r = await exchange(meta, Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
    expect(r.statuses).toEqual([400]);
    expect(r.closed).toBe(true);
    expect(upstream.received).toHaveLength(0);
  });

  it('answers three pipelined deliveries in order, each forwarded once', async () => {
    const bodies = ['{"n":1}', '{"n":2}', '{"n":3}'];
    const requests = bodies.map((b) => rawRequest('POST', '/webhooks/shop', [HOST, `X-Hub-Signature-256: ${sign(b, SECRET)}`, `Content-Length: ${b.length}`], b));
    const r = await exchange(meta, Buffer.concat(requests), { responses: 3 });
    expect(r.statuses).toEqual([200, 200, 200]);
    expect(upstream.received.map((x) => x.body.toString())).toEqual(bodies);
  });

  it('refuses one bad delivery among pipelined good ones without disturbing them', async () => {
    const good = (b: string) => rawRequest('POST', '/webhooks/shop', [HOST, `X-Hub-Signature-256: ${sign(b, SECRET)}`, `Content-Length: ${b.length}`], b);
    const forged = rawRequest('POST', '/webhooks/shop', [HOST, `X-Hub-Signature-256: ${sign('{}', SECRET)}`, 'Content-Length: 9'], '{"n":666}');
    const r = await exchange(meta, Buffer.concat([good('{"n":1}'), forged, good('{"n":3}')]), { responses: 3 });
    expect(r.statuses).toEqual([200, 401, 200]);
    expect(upstream.received.map((x) => x.body.toString())).toEqual(['{"n":1}', '{"n":3}']);
    expectInvariant(r);
  });

  it('never parses the unread body of a refused request as a request of its own', async () => {
    // 404 is answered before the body is read; the body holds a complete signed request.
    const inner = post([CL]).toString('latin1');
    const r = await exchange(meta, Buffer.concat([rawRequest('POST', '/nowhere', [HOST, `Content-Length: ${inner.length}`], inner), post([CL])]), { responses: 2 });
    expect(r.statuses).toEqual([404, 200]);
    expect(upstream.received).toHaveLength(1);
  });

  it('never splices an error into a response already on the wire when garbage is pipelined behind it', async () => {
    // Found by this suite: the clientError handler wrote its 400 into the middle of the body of
    // the response in progress, so the client read "EVENT_HTTP/1.1 400…" as a complete 200.
    upstream.respondWith((_r, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 14 });
      res.write('EVENT_');
      setTimeout(() => res.end('RECEIVED'), 300);
    });
    const r = await exchange(meta, [post([CL]), 'GARBAGE\x00 /\r\n\r\n'], { gapMs: 150 });
    expect(r.closed).toBe(true);
    expect(r.statuses).toEqual([]); // the 200 was cut short, not completed with foreign bytes
    expect(r.rest).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(r.rest).not.toContain('400');
    expect(upstream.received).toHaveLength(1);
  });

  it('handles Expect: 100-continue', async () => {
    const r = await exchange(meta, post(['Expect: 100-continue', CL]), { responses: 1 });
    expect(r.statuses).toEqual([200]);
    expect(upstream.received).toHaveLength(1);
  });

  it('does not upgrade to h2c or WebSocket, and strips the upgrade headers before forwarding', async () => {
    const r = await exchange(meta, post(['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQAAP__', CL]), { responses: 1 });
    expect(r.statuses).toEqual([200]);
    const h = upstream.received[0]!.headers;
    expect(h.upgrade).toBeUndefined();
    expect(h['http2-settings']).toBeUndefined();
    expect(h.connection).not.toMatch(/upgrade/i);
  });
});

describe('request targets', () => {
  it('never acts as an open proxy for an absolute-form target', async () => {
    const r = await exchange(meta, rawRequest('GET', `http://127.0.0.1:${upstream.port}/hook`, [HOST]), { responses: 1 });
    await expectRefused(r, 404, 'path_not_canonical');
  });

  it('refuses an absolute-form target even for a routed path', async () => {
    const r = await exchange(meta, rawRequest('POST', 'https://localhost/webhooks/shop', [HOST, SIG, CL], BODY), { responses: 1 });
    await expectRefused(r, 404, 'path_not_canonical');
  });

  it('refuses the asterisk-form target', async () => {
    const r = await exchange(meta, rawRequest('OPTIONS', '*', [HOST]), { responses: 1 });
    await expectRefused(r, 404, 'path_not_canonical');
  });

  it('closes a CONNECT tunnel request without forwarding it', async () => {
    const r = await exchange(meta, rawRequest('CONNECT', `127.0.0.1:${upstream.port}`, [`Host: 127.0.0.1:${upstream.port}`]));
    expect(r.statuses).toEqual([]);
    expect(r.closed).toBe(true);
    expect(upstream.received).toHaveLength(0);
  });

  it('answers 400 to an HTTP/1.1 request without Host', async () => {
    const r = await exchange(meta, rawRequest('POST', '/webhooks/shop', [SIG, CL], BODY));
    expect(r.statuses).toEqual([400]);
    expect(upstream.received).toHaveLength(0);
  });

  it('routes and forwards a request with two Host headers by the first one, consistently', async () => {
    const r = await exchange(meta, post(['Host: evil.example', CL]), { responses: 1 });
    expect(r.statuses).toEqual([200]);
    expect(upstream.received[0]!.headers.host).toBe('localhost');
    expect(upstream.received[0]!.headers['x-forwarded-host']).toBe('localhost');
  });
});

describe('paths against the route prefix', () => {
  // Each would climb out of /hook on an app that normalises it. Signed POSTs with a certificate,
  // and certificate-less verification GETs (forwarded unverified when the app has no verifyToken),
  // since the second needs no secret at all.
  const escapes = [
    '/webhooks/shop/../other',
    '/webhooks/shop/./x',
    '/webhooks/shop/%2e%2e/other',
    '/webhooks/shop/%2E%2E/other',
    '/webhooks/shop/.%2e/other',
    '/webhooks/shop/%2e./other',
    '/webhooks/shop%2f..%2fother',
    '/webhooks/shop/..%5cother',
    '/webhooks/shop/..\\other',
    '/webhooks/shop//other',
    '/webhooks//shop',
    '//webhooks/shop',
    '/webhooks/shop/..;/other',
    '/webhooks/shop/..;jsessionid=x/other',
    '/webhooks/shop/%252e%252e/other',
    '/webhooks/shop/%25%32%65%25%32%65/other',
    '/webhooks/shop/..',
    '/webhooks/shop/.',
  ];

  it.each(escapes)('refuses a signed POST to %s', async (path) => {
    const r = await exchange(meta, post([CL], BODY, path), { responses: 1 });
    await expectRefused(r, 404, 'path_not_canonical');
  });

  it.each(escapes)('refuses a certificate-less verification GET to %s', async (path) => {
    const r = await exchange(anonymous, rawRequest('GET', `${path}?hub.mode=subscribe&hub.challenge=1`, [HOST]), { responses: 1 });
    await expectRefused(r, 404, 'path_not_canonical');
  });

  it('leaves dots inside a segment alone (/webhooks/shop/v1..2 is a name, not a dot segment)', async () => {
    const r = await exchange(meta, post([CL], BODY, '/webhooks/shop/v1..2/.well-known'), { responses: 1 });
    expect(r.statuses).toEqual([200]);
    expect(upstream.received.map((x) => x.url)).toEqual(['/hook/v1..2/.well-known']);
  });

  it('matches the prefix case-sensitively and on segment boundaries only', async () => {
    for (const path of ['/WEBHOOKS/shop', '/webhooks/shopx', '/webhooks/sho']) {
      const r = await exchange(meta, post([CL], BODY, path), { responses: 1 });
      expect(r.statuses).toEqual([404]);
    }
    expect(upstream.received).toHaveLength(0);
  });

  it('answers 431 to a 20 kB URL and forwards nothing', async () => {
    const r = await exchange(meta, rawRequest('GET', `/webhooks/shop?${'a'.repeat(20_000)}`, [HOST]));
    await expectRefused(r, 431, 'headers_too_large');
  });

  it('forwards an 8 kB query string intact (under the header limit)', async () => {
    const query = `hub.mode=subscribe&x=${'q'.repeat(8_000)}`;
    const r = await exchange(anonymous, rawRequest('GET', `/webhooks/shop?${query}`, [HOST]), { responses: 1 });
    expect(r.statuses).toEqual([200]);
    expect(upstream.received.map((x) => x.url)).toEqual([`/hook?${query}`]);
  });
});
