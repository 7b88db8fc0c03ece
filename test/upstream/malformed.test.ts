// Issue 14: an app's answer that a strict HTTP/1.1 parser refuses reaches Meta as 502
// `upstream_malformed` (logged with the parser's detail, counted), never as the app's status; a
// malformed body after a good head cuts the client's answer and is recorded the same way; the
// upstream connection is never reused after it. Each answer is written as raw bytes by an app on
// a plain socket. The parser that decides is hubgate's codec (src/http/codec); node's own llhttp
// (strict from 9.4, Node 24's) is checked to refuse every one of them too.
import { describe, it, expect, beforeEach } from 'vitest';
import { useGateway, useStarted } from '../helpers/fixture.js';
import { eventually, SECRET } from '../helpers/gateway.js';
import { sign } from '../helpers/client.js';
import { exchange, rawRequest, type RawResult } from '../helpers/raw.js';
import { startRawApp, OK_ANSWER } from '../helpers/raw-app.js';
import { oracle } from '../http/helpers/oracle.js';

const app = useStarted('app', startRawApp, (a) => a.close());
const { pki, gw } = useGateway({
  upstream: false,
  apps: () => [{ name: 'shop', path: '/webhooks/shop', upstream: `http://127.0.0.1:${app.port}/hook` }],
  overrides: { limits: { upstreamTimeoutMs: 3_000 } },
});

const BODY = '{"object":"page","entry":[]}';
const DELIVERY = rawRequest('POST', '/webhooks/shop', ['Host: localhost', `X-Hub-Signature-256: ${sign(BODY, SECRET)}`, `Content-Length: ${BODY.length}`], BODY);
const deliver = (): Promise<RawResult> => exchange({ port: gw.port, ca: pki.serverCa, client: pki.meta }, DELIVERY, { responses: 1, timeoutMs: 8_000 });

/** llhttp 9.3 (Node 20) accepts these; 9.4 (Node 24) refuses them, as we do. */
const LENIENT_IN_LLHTTP_9_3 = new Set(['a bare CR after the status line']);
/** Where we are stricter than llhttp on purpose (docs/SECURITY.md, issue 14): a version other
 *  than 1.x, and a transfer coding other than a lone chunked, which RFC 9112 §6.3 would have a
 *  client read to the close: an app that sends one is broken, and Meta gets a 502. */
const STRICTER_THAN_LLHTTP = new Set(['HTTP/2.0 in the status line', 'an unknown transfer coding', 'chunked not last']);
const [major, minor] = (process.versions.llhttp ?? '0.0').split('.').map(Number) as [number, number];
const strictLlhttp = major > 9 || (major === 9 && minor >= 4);

const HEAD_CASES: Array<{ name: string; answer: string; detail: string }> = [
  { name: 'a bare CR after the status line', answer: 'HTTP/1.1 200 OK\r\rContent-Length: 4\r\n\r\nEvil', detail: 'HPE_LF_EXPECTED' },
  { name: 'bare LF line endings', answer: 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok', detail: 'HPE_CR_EXPECTED' },
  { name: 'a bare LF ending one field line', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok', detail: 'HPE_CR_EXPECTED' },
  { name: 'a bare CR inside a field value', answer: 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok', detail: 'HPE_LF_EXPECTED' },
  { name: 'obs-fold (a continuation line)', answer: 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok', detail: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'a four-digit status', answer: 'HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok', detail: 'HPE_INVALID_STATUS' },
  { name: 'a status line without a status', answer: 'HTTP/1.1 OK\r\nContent-Length: 2\r\n\r\nok', detail: 'HPE_INVALID_STATUS' },
  { name: 'a lower-case protocol name', answer: 'http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', detail: 'HPE_INVALID_CONSTANT' },
  { name: 'HTTP/2.0 in the status line', answer: 'HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok', detail: 'HPE_INVALID_VERSION' },
  { name: 'not HTTP at all', answer: 'SSH-2.0-OpenSSH_9.6\r\n\r\n', detail: 'HPE_INVALID_CONSTANT' },
  { name: 'a space in a field name', answer: 'HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok', detail: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'a space before the colon', answer: 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok', detail: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'a field line without a colon', answer: 'HTTP/1.1 200 OK\r\nX-No-Colon\r\nContent-Length: 2\r\n\r\nok', detail: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'a NUL in a field value', answer: 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok', detail: 'HPE_INVALID_HEADER_TOKEN' },
  { name: 'a negative Content-Length', answer: 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok', detail: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'a Content-Length with a sign', answer: 'HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok', detail: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'a Content-Length list', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok', detail: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'a hexadecimal Content-Length', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nok', detail: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'an overflowing Content-Length', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nok', detail: 'HPE_INVALID_CONTENT_LENGTH' },
  { name: 'two equal Content-Length fields', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok', detail: 'HPE_UNEXPECTED_CONTENT_LENGTH' },
  { name: 'Content-Length with Transfer-Encoding', answer: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', detail: 'HPE_INVALID_TRANSFER_ENCODING' },
  { name: 'an unknown transfer coding', answer: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok', detail: 'HPE_INVALID_TRANSFER_ENCODING' },
  { name: 'chunked not last', answer: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n2\r\nok\r\n0\r\n\r\n', detail: 'HPE_INVALID_TRANSFER_ENCODING' },
  { name: 'a 101 nobody asked for', answer: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n', detail: 'HPE_INVALID_STATUS' },
  { name: '100 kB of header fields', answer: `HTTP/1.1 200 OK\r\n${`${'X-H: '.padEnd(100, 'v')}\r\n`.repeat(1_000)}Content-Length: 2\r\n\r\nok`, detail: 'HPE_HEADER_OVERFLOW' },
];

const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
/** The head goes first, the body 50 ms later: the head is on its way to the client by then. */
const BODY_CASES: Array<{ name: string; head: string; body: string; hangUp?: boolean }> = [
  { name: 'a chunk size that is not hex', head: CHUNKED, body: 'zz\r\nok\r\n0\r\n\r\n' },
  { name: 'chunk data not followed by CRLF', head: CHUNKED, body: '2\r\nokXX0\r\n\r\n' },
  { name: 'a Content-Length in the trailer', head: CHUNKED, body: '2\r\nok\r\n0\r\nContent-Length: 5\r\n\r\n' },
  { name: 'a chunk extension of 2 kB', head: CHUNKED, body: `2;${'e'.repeat(2_000)}\r\nok\r\n0\r\n\r\n` },
  { name: 'a close before the Content-Length bytes', head: 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', body: 'partial', hangUp: true },
  { name: 'a close inside a chunked body', head: CHUNKED, body: '7\r\npartial\r\n', hangUp: true },
];

let mark = 0;
beforeEach(() => {
  mark = gw.logs.length;
  app.behave = (s) => s.write(OK_ANSWER);
});

async function malformedCount(): Promise<number> {
  const { values } = await gw.gateway.metrics.rejections.get();
  return values.find((v) => v.labels.reason === 'upstream_malformed' && v.labels.stage === 'forward')?.value ?? 0;
}

/** The delivery after a malformed answer succeeds, on a connection the app has not seen before. */
async function expectFreshConnectionServes(): Promise<void> {
  const previous = app.requests.at(-1)!.connection;
  app.behave = (s) => s.write(OK_ANSWER);
  const next = await deliver();
  expect(next.statuses).toEqual([200]);
  expect(app.requests.at(-1)!.connection).toBeGreaterThan(previous);
}

describe('a malformed head from the app', () => {
  it.each(HEAD_CASES)('answers 502 upstream_malformed to $name, and reuses nothing', async ({ answer, detail }) => {
    const counted = await malformedCount();
    app.behave = (s) => s.write(answer);
    const r = await deliver();
    expect(r.statuses).toEqual([502]);
    expect(r.responses[0]!.body).toMatch(/^upstream_malformed: /);
    const line = await eventually(() => gw.logs.slice(mark).find((l) => l.msg === 'request refused' && l.reason === 'upstream_malformed'));
    expect(line).toMatchObject({ status: 502, stage: 'forward', detail });
    expect(await malformedCount()).toBe(counted + 1);
    await expectFreshConnectionServes();
  });

  it.each(HEAD_CASES)('agrees with node’s llhttp where it is strict: $name', ({ name, answer }) => {
    const refused = oracle('response', Buffer.from(answer, 'latin1'), 16 * 1024).error !== null;
    const lenient = STRICTER_THAN_LLHTTP.has(name) || (!strictLlhttp && LENIENT_IN_LLHTTP_9_3.has(name));
    expect(refused).toBe(!lenient);
  });

  it('answers 502 at once to an unsolicited 100 Continue, even with a 200 after it', async () => {
    app.behave = (s) => s.write(`HTTP/1.1 100 Continue\r\n\r\n${OK_ANSWER}`);
    const r = await deliver();
    expect(r.statuses).toEqual([502]);
    await eventually(() => gw.logs.slice(mark).find((l) => l.reason === 'upstream_malformed' && l.detail === 'unsolicited 100 Continue'));
    await expectFreshConnectionServes();
  });

  it('drops 103 Early Hints and relays the final answer', async () => {
    app.behave = (s) => s.write(`HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n${OK_ANSWER}`);
    const r = await deliver();
    expect(r.statuses).toEqual([200]);
    expect(r.responses[0]!.headers.link).toBeUndefined();
  });
});

describe('a malformed body after a good head', () => {
  it.each(BODY_CASES)('cuts the client’s answer on $name, records upstream_malformed, and reuses nothing', async ({ head, body, hangUp }) => {
    const counted = await malformedCount();
    app.behave = (s) => {
      s.write(head);
      setTimeout(() => (hangUp ? s.end(body) : s.write(body)), 50);
    };
    const r = await deliver();
    expect(r.statuses).toEqual([]);
    expect(r.closed).toBe(true);
    expect(r.rest).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const line = await eventually(() => gw.logs.slice(mark).find((l) => l.msg === 'request refused' && l.reason === 'upstream_malformed'));
    // The status the client saw start, as for any answer cut short.
    expect(line).toMatchObject({ status: 200, stage: 'forward' });
    expect(String(line.detail)).toMatch(/^HPE_/);
    expect(await malformedCount()).toBe(counted + 1);
    await expectFreshConnectionServes();
  });
});

describe('a well-formed answer with extra bytes after it', () => {
  it('is relayed, and the connection it came on is not reused', async () => {
    app.behave = (s) => s.write(`${OK_ANSWER}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nXX`);
    const r = await deliver();
    expect(r.statuses).toEqual([200]);
    expect(r.responses[0]!.body).toBe('ok');
    await expectFreshConnectionServes();
  });
});
