// The request parser, rule by rule (RFC 9112 §2–§9, issue 10 §2). Each refusal test names the
// llhttp error code the connection layer logs and the status it answers.
import { describe, it, expect } from 'vitest';
import { RequestParser, METHODS, type RequestHead } from '../../src/http/codec/index.js';
import { parseRequests } from './helpers/collect.js';
import { NODE_METHODS } from './helpers/oracle.js';

const HEAD = 'POST /webhooks/shop HTTP/1.1\r\nHost: hooks.example\r\n';

function refused(input: string) {
  const out = parseRequests(input);
  expect(out.messages.filter((m) => m.complete)).toEqual([]);
  expect(out.error).not.toBeNull();
  return out.error!;
}

function only(input: string) {
  const out = parseRequests(input);
  expect(out.error).toBeNull();
  expect(out.messages).toHaveLength(1);
  return out.messages[0]!;
}

/** The head object itself, for the fields the shared Message shape leaves out. */
function headOf(input: string): RequestHead {
  let head: RequestHead | undefined;
  const p = new RequestParser({ onHead: (h) => (head = h), onBody() {}, onComplete() {}, onError: (e) => expect.fail(e.toString()) });
  p.execute(Buffer.from(input, 'latin1'));
  return head!;
}

describe('request line', () => {
  it('reads method, target and version as sent', () => {
    const m = only('GET /webhooks/shop?hub.mode=subscribe&hub.challenge=1 HTTP/1.1\r\nHost: a\r\n\r\n');
    expect([m.method, m.target, m.version]).toEqual(['GET', '/webhooks/shop?hub.mode=subscribe&hub.challenge=1', '1.1']);
  });

  it('knows exactly the methods node:http knows', () => {
    expect([...METHODS].sort()).toEqual([...NODE_METHODS].sort());
  });

  it.each([['post'], ['FOO'], ['PRI'], ['DESCRIBE'], ['G\u00c9T']])('refuses the method %s (HPE_INVALID_METHOD, 400)', (method) => {
    const e = refused(`${method} / HTTP/1.1\r\n\r\n`);
    expect(e.code).toBe('HPE_INVALID_METHOD');
  });

  it.each([
    ['two SP before the target', 'GET  / HTTP/1.1'],
    ['two SP before the version', 'GET /  HTTP/1.1'],
    ['HTAB as a separator', 'GET\t/ HTTP/1.1'],
    ['a trailing SP', 'GET / HTTP/1.1 '],
  ])('refuses %s', (_what, line) => {
    refused(`${line}\r\n\r\n`);
  });

  it('refuses an HTTP/0.9 request line (no version)', () => {
    expect(refused('GET /webhooks/shop\r\n\r\n').code).toBe('HPE_INVALID_VERSION');
  });

  it.each(['HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'HTTP/1.10', 'RTSP/1.0', 'http/1.1', 'HTTP/1'])('refuses the version %s', (version) => {
    expect(['HPE_INVALID_VERSION', 'HPE_INVALID_CONSTANT']).toContain(refused(`GET / ${version}\r\n\r\n`).code);
  });

  it('refuses the HTTP/2 connection preface', () => {
    refused('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  });

  it.each(['/a b', '/a\u0000', '/a\u007f', '/\u00e9', '/a\tb'])('refuses a request-target holding %j (HPE_INVALID_URL)', (target) => {
    expect(refused(`GET ${target} HTTP/1.1\r\n\r\n`).code).toMatch(/HPE_INVALID_URL|HPE_INVALID_CONSTANT/);
  });

  it.each([
    ['origin-form', 'GET', '/a/b?c=d#e'],
    ['asterisk-form', 'OPTIONS', '*'],
    ['absolute-form', 'GET', 'http://user@host:8080/p?q'],
    ['authority-form for CONNECT', 'CONNECT', 'host.example:443'],
  ])('accepts a target in %s, as sent', (_form, method, target) => {
    expect(only(`${method} ${target} HTTP/1.1\r\n\r\n`).target).toBe(target);
  });

  it.each(['a', 'http:/x', 'h1tp://x/', 'http://a@@b/', 'http://a#b'])('refuses %s, which is in none of the four target forms', (target) => {
    expect(refused(`GET ${target} HTTP/1.1\r\n\r\n`).code).toBe('HPE_INVALID_URL');
  });

  it('ignores empty lines before the request line (RFC 9112 §2.2)', () => {
    expect(only('\r\n\r\nGET / HTTP/1.1\r\n\r\n').method).toBe('GET');
  });
});

describe('field lines', () => {
  it('keeps names as sent, trims the value, and keeps the order and the duplicates', () => {
    const m = only(`${HEAD}X-A:  one \t\r\nx-a:two\r\nX-Empty:\r\n\r\n`);
    expect(m.headers).toEqual(['Host', 'hooks.example', 'X-A', 'one', 'x-a', 'two', 'X-Empty', '']);
  });

  it('keeps HTAB, SP and obs-text inside a value', () => {
    expect(only(`${HEAD}X-A: a\tb c\u00e9\r\n\r\n`).headers.slice(2)).toEqual(['X-A', 'a\tb c\u00e9']);
  });

  it.each([
    ['a space in a name', 'Bad Header: x'],
    ['a space before the colon', 'Transfer-Encoding : chunked'],
    ['a non-token byte in a name', 'X(Evil): x'],
    ['no colon', 'X-No-Colon'],
    ['an empty name', ': x'],
    ['a NUL in a value', 'X-A: a\u0000b'],
    ['a control byte in a value', 'X-A: a\u0001b'],
    ['DEL in a value', 'X-A: a\u007fb'],
  ])('refuses %s (HPE_INVALID_HEADER_TOKEN)', (_what, line) => {
    expect(refused(`${HEAD}${line}\r\n\r\n`).code).toBe('HPE_INVALID_HEADER_TOKEN');
  });

  it('refuses obs-fold instead of unfolding it', () => {
    expect(refused(`${HEAD}X-A: one\r\n two\r\n\r\n`).code).toBe('HPE_INVALID_HEADER_TOKEN');
  });

  it('refuses whitespace before the first field', () => {
    refused('GET / HTTP/1.1\r\n Host: a\r\n\r\n');
  });

  it.each([
    ['a bare LF ending a field line', `${HEAD}X-A: 1\n\r\n`, 'HPE_CR_EXPECTED'],
    ['a bare LF ending the head', `${HEAD}\n`, 'HPE_CR_EXPECTED'],
    ['a bare LF ending the request line', 'GET / HTTP/1.1\nHost: a\r\n\r\n', 'HPE_CR_EXPECTED'],
    ['a bare CR inside a value', `${HEAD}X-A: a\rb\r\n\r\n`, 'HPE_LF_EXPECTED'],
    ['a bare CR ending a field line', `${HEAD}X-A: 1\rX-B: 2\r\n\r\n`, 'HPE_LF_EXPECTED'],
    ['a bare CR after the request line', 'GET / HTTP/1.1\rHost: a\r\n\r\n', 'HPE_LF_EXPECTED'],
    ['a bare LF before the request line', '\nGET / HTTP/1.1\r\n\r\n', 'HPE_CR_EXPECTED'],
    ['a bare CR before the request line', '\rGET / HTTP/1.1\r\n\r\n', 'HPE_LF_EXPECTED'],
  ])('refuses %s', (_what, input, code) => {
    expect(refused(input).code).toBe(code);
  });
});

describe('framing (exactly one: Content-Length or chunked)', () => {
  it('reads a Content-Length body and says so at head time', () => {
    const out = parseRequests(`${HEAD}Content-Length: 5\r\n\r\nhello`);
    expect(out.messages[0]!.body).toBe('hello');
    expect(headOf(`${HEAD}Content-Length: 5\r\n\r\n`)).toMatchObject({ framing: 'length', contentLength: 5 });
  });

  it('treats Content-Length: 0 and no framing at all as no body', () => {
    expect(headOf(`${HEAD}Content-Length: 0\r\n\r\n`)).toMatchObject({ framing: 'none', contentLength: 0 });
    expect(headOf(`${HEAD}\r\n`)).toMatchObject({ framing: 'none', contentLength: 0 });
  });

  it('accepts leading zeros and surrounding spaces in Content-Length', () => {
    expect(only(`${HEAD}Content-Length:  007 \r\n\r\n1234567`).body).toBe('1234567');
  });

  it.each([
    ['a comma list', '5, 5'],
    ['a sign', '+5'],
    ['a negative number', '-1'],
    ['hex', '0x5'],
    ['an inner space', '5 5'],
    ['nothing', ''],
    ['a number past 2^53 - 1', '9007199254740993'],
    ['a number past 2^64', '99999999999999999999999'],
    ['an HTAB after the digits', '5\t'],
  ])('refuses a Content-Length written as %s', (_what, value) => {
    expect(['HPE_INVALID_CONTENT_LENGTH', 'HPE_INVALID_HEADER_TOKEN']).toContain(refused(`${HEAD}Content-Length: ${value}\r\n\r\nhello`).code);
  });

  it('refuses two Content-Length fields even when equal (HPE_UNEXPECTED_CONTENT_LENGTH)', () => {
    expect(refused(`${HEAD}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`).code).toBe('HPE_UNEXPECTED_CONTENT_LENGTH');
  });

  it.each([
    ['Content-Length then Transfer-Encoding', 'Content-Length: 5\r\nTransfer-Encoding: chunked'],
    ['Transfer-Encoding then Content-Length', 'Transfer-Encoding: chunked\r\nContent-Length: 5'],
  ])('refuses %s', (_what, lines) => {
    expect(['HPE_INVALID_CONTENT_LENGTH', 'HPE_INVALID_TRANSFER_ENCODING']).toContain(refused(`${HEAD}${lines}\r\n\r\n0\r\n\r\n`).code);
  });

  it.each(['gzip, chunked', 'chunked, gzip', 'identity', 'xchunked', ',chunked', 'chunked,', 'chunked\t', ''])('refuses Transfer-Encoding: %s (HPE_INVALID_TRANSFER_ENCODING)', (value) => {
    expect(refused(`${HEAD}Transfer-Encoding: ${value}\r\n\r\n0\r\n\r\n`).code).toMatch(/HPE_INVALID_TRANSFER_ENCODING|HPE_INVALID_HEADER_TOKEN/);
  });

  it('refuses two Transfer-Encoding fields, even both chunked', () => {
    expect(refused(`${HEAD}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`).code).toBe('HPE_INVALID_TRANSFER_ENCODING');
  });

  it('accepts chunked in any letter case and with OWS', () => {
    expect(headOf(`${HEAD}transfer-encoding:\tCHUNKED \r\n\r\n`)).toMatchObject({ framing: 'chunked', contentLength: -1 });
  });

  it('refuses Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)', () => {
    expect(refused('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n').code).toBe('HPE_INVALID_TRANSFER_ENCODING');
  });

  it('never reads a body after a CONNECT head, and ends the connection there', () => {
    const out = parseRequests('CONNECT a.example:443 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc');
    expect(out.messages[0]).toMatchObject({ method: 'CONNECT', body: '', keepAlive: false });
    expect(out.error?.code).toBe('HPE_CLOSED_CONNECTION');
  });
});

describe('persistence and expectations', () => {
  it.each([
    ['HTTP/1.1', '', true],
    ['HTTP/1.1', 'Connection: close', false],
    ['HTTP/1.1', 'Connection: foo, CLOSE', false],
    ['HTTP/1.1', 'Proxy-Connection: close', false],
    ['HTTP/1.0', '', false],
    ['HTTP/1.0', 'Connection: keep-alive', true],
    ['HTTP/1.0', 'Connection: keep-alive, close', false],
    ['HTTP/1.1', 'Connection: closed', true],
  ])('%s with %j keeps alive: %s', (version, line, keepAlive) => {
    expect(only(`GET / ${version}\r\n${line ? `${line}\r\n` : ''}\r\n`).keepAlive).toBe(keepAlive);
  });

  it('refuses anything but line ends after a request that ends the connection', () => {
    const out = parseRequests('GET / HTTP/1.0\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n');
    expect(out.completions).toEqual([false]);
    expect(out.error?.code).toBe('HPE_CLOSED_CONNECTION');
  });

  it('reports Expect: 100-continue, in any case', () => {
    expect(headOf(`${HEAD}Expect: 100-Continue\r\n\r\n`).expectContinue).toBe(true);
    expect(headOf(`${HEAD}Expect: 200-ok\r\n\r\n`).expectContinue).toBe(false);
  });
});

describe('lookups the pipeline makes', () => {
  it('gives the first Host and X-Hub-Signature-256 values and how many there were', () => {
    const h = headOf(`POST / HTTP/1.1\r\nhost: first\r\nX-HUB-SIGNATURE-256: sha256=aa\r\nHost: second\r\nx-hub-signature-256: sha256=bb\r\n\r\n`);
    expect([h.host, h.hostCount, h.hubSignature, h.hubSignatureCount]).toEqual(['first', 2, 'sha256=aa', 2]);
  });

  it('finds any field by case-insensitive name', () => {
    const h = headOf(`${HEAD}Content-Type: application/json\r\nX-A: 1\r\nx-a: 2\r\n\r\n`);
    expect(h.get('content-type')).toBe('application/json');
    expect(h.getAll('X-A')).toEqual(['1', '2']);
    expect(h.get('missing')).toBeUndefined();
  });

  it('leaves host and signature undefined when absent', () => {
    expect(headOf('GET / HTTP/1.1\r\n\r\n')).toMatchObject({ host: undefined, hostCount: 0, hubSignature: undefined });
  });
});

describe('pipelining', () => {
  const three = ['a', 'bb', 'ccc'].map((b) => `POST /${b} HTTP/1.1\r\nContent-Length: ${b.length}\r\n\r\n${b}`).join('');

  it('reads pipelined requests in order', () => {
    expect(parseRequests(three).messages.map((m) => [m.target, m.body])).toEqual([['/a', 'a'], ['/bb', 'bb'], ['/ccc', 'ccc']]);
  });

  it('stops at each message boundary when paused there, and goes on with the bytes it did not use', () => {
    const input = Buffer.from(three, 'latin1');
    const seen: string[] = [];
    const p = new RequestParser({ onHead: (h) => seen.push(h.target), onBody() {}, onComplete: () => p.pause(), onError: (e) => expect.fail(e.toString()) });
    const first = p.execute(input);
    expect(first).toBe(input.indexOf('POST /bb'));
    expect(seen).toEqual(['/a']);
    const second = p.execute(input.subarray(first));
    expect(seen).toEqual(['/a', '/bb']);
    expect(p.execute(input.subarray(first + second))).toBe(input.length - first - second);
    expect(seen).toEqual(['/a', '/bb', '/ccc']);
  });

  it('completes a bodiless request after a pause in onHead only when execute is called again', () => {
    const events: string[] = [];
    const p = new RequestParser({ onHead: () => (events.push('head'), p.pause()), onBody() {}, onComplete: () => events.push('complete'), onError: (e) => expect.fail(e.toString()) });
    p.execute(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(events).toEqual(['head']);
    expect(p.execute(Buffer.alloc(0))).toBe(0);
    expect(events).toEqual(['head', 'complete']);
  });

  it('reports nothing after an error and uses no more bytes', () => {
    let errors = 0;
    const p = new RequestParser({ onHead() {}, onBody() {}, onComplete() {}, onError: () => errors++ });
    p.execute(Buffer.from('BAD\r\n\r\n'));
    expect(p.execute(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBe(0);
    p.finish();
    expect(errors).toBe(1);
  });
});

describe('end of input', () => {
  it.each([
    ['inside the request line', 'GET / HT'],
    ['inside the head', 'GET / HTTP/1.1\r\nHost: a\r\n'],
    ['before the Content-Length body is complete', `${HEAD}Content-Length: 5\r\n\r\nhel`],
    ['inside a chunked body', `${HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\nhel`],
  ])('is an early close %s (HPE_INVALID_EOF_STATE), never a complete request', (_where, input) => {
    const out = parseRequests(input);
    expect(out.completions).toEqual([]);
    expect(out.error?.code).toBe('HPE_INVALID_EOF_STATE');
  });

  it('is no error between requests, even after empty lines', () => {
    expect(parseRequests('GET / HTTP/1.1\r\n\r\n\r\n').error).toBeNull();
  });
});
