// The response parser: what an upstream app may answer, and every malformed answer of issue 14
// refused (the consumer answers 502 upstream_malformed and never reuses the connection).
import { describe, it, expect } from 'vitest';
import { ResponseParser, type ResponseHead } from '../../src/http/codec/index.js';
import { parseResponses } from './helpers/collect.js';

function refused(input: string) {
  const out = parseResponses(input);
  expect(out.messages.filter((m) => !m.interim && m.complete)).toEqual([]);
  expect(out.error).not.toBeNull();
  return out.error!;
}

function only(input: string) {
  const out = parseResponses(input);
  expect(out.error).toBeNull();
  const finals = out.messages.filter((m) => !m.interim);
  expect(finals).toHaveLength(1);
  return finals[0]!;
}

function headOf(input: string): ResponseHead {
  let head: ResponseHead | undefined;
  const p = new ResponseParser({ onHead: (h) => (head = h), onInterim() {}, onBody() {}, onComplete() {}, onError: (e) => expect.fail(e.toString()) });
  p.execute(Buffer.from(input, 'latin1'));
  return head!;
}

describe('status line', () => {
  it('reads version, status and reason', () => {
    expect(only('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')).toMatchObject({ version: '1.1', method: '200', target: 'OK', body: 'ok' });
  });

  it('accepts an empty reason, with or without the SP before it (as llhttp 9.4)', () => {
    expect(only('HTTP/1.1 204 \r\n\r\n').target).toBe('');
    expect(only('HTTP/1.1 204\r\n\r\n').target).toBe('');
  });

  it('keeps HTAB and obs-text in a reason-phrase', () => {
    expect(only('HTTP/1.1 200 Tr\u00e8s\tbien\r\nContent-Length: 0\r\n\r\n').target).toBe('Tr\u00e8s\tbien');
  });

  it.each([
    ['a bare CR after the status line (issue 14)', 'HTTP/1.1 200 OK\r\rContent-Length: 4\r\n\r\nEvil', 'HPE_LF_EXPECTED'],
    ['a bare LF after the status line', 'HTTP/1.1 200 OK\nContent-Length: 4\r\n\r\nEvil', 'HPE_CR_EXPECTED'],
    ['a bare CR after the status code', 'HTTP/1.1 200\rContent-Length: 4\r\n\r\nEvil', 'HPE_LF_EXPECTED'],
    ['a status of two digits', 'HTTP/1.1 20 OK\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['a status of four digits', 'HTTP/1.1 2000 OK\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['a status below 100', 'HTTP/1.1 099 X\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['a status above 599', 'HTTP/1.1 600 X\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['a control byte in the reason', 'HTTP/1.1 200 O\u0000K\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['two SP after the version', 'HTTP/1.1  200 OK\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['no SP after the version', 'HTTP/1.1200 OK\r\n\r\n', 'HPE_INVALID_VERSION'],
    ['HTTP/2.0', 'HTTP/2.0 200 OK\r\n\r\n', 'HPE_INVALID_VERSION'],
    ['HTTP/0.9', 'HTTP/0.9 200 OK\r\n\r\n', 'HPE_INVALID_VERSION'],
    ['RTSP', 'RTSP/1.0 200 OK\r\n\r\n', 'HPE_INVALID_CONSTANT'],
    ['an HTTP/0.9-style answer without a status line', '{"ok":true}', 'HPE_INVALID_EOF_STATE'],
    ['a body with no status line at all', '<html>\r\n\r\n', 'HPE_INVALID_CONSTANT'],
  ])('refuses %s', (_what, input, code) => {
    expect(refused(input).code).toBe(code);
  });
});

describe('malformed heads from the app (issue 14)', () => {
  it.each([
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['an invalid field name', 'HTTP/1.1 200 OK\r\nX A: 1\r\nContent-Length: 0\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['a bare LF ending a field', 'HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n', 'HPE_CR_EXPECTED'],
    ['a Content-Length list', 'HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\n\r\nEvil', 'HPE_INVALID_CONTENT_LENGTH'],
    ['a negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\nEvil', 'HPE_INVALID_CONTENT_LENGTH'],
    ['two different Content-Length fields', 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nEvil!', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
    ['two equal Content-Length fields', 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nEvil', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
    ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
    ['an unknown transfer coding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nEvil', 'HPE_INVALID_TRANSFER_ENCODING'],
    ['chunked not last', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nEvil', 'HPE_INVALID_TRANSFER_ENCODING'],
    ['a coding before chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
    ['chunked in an HTTP/1.0 answer', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ])('refuses %s', (_what, input, code) => {
    expect(refused(input).code).toBe(code);
  });
});

describe('bodies and their framing', () => {
  it('reads a Content-Length body and keeps the connection', () => {
    const out = parseResponses('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nGood');
    expect(out.messages[0]).toMatchObject({ body: 'Good', keepAlive: true });
    expect(out.completions).toEqual([true]);
  });

  it('reads a body without Content-Length or chunked until the upstream closes, and never reuses that connection', () => {
    expect(headOf('HTTP/1.1 200 OK\r\n\r\n')).toMatchObject({ framing: 'close', contentLength: -1, keepAlive: false });
    const out = parseResponses('HTTP/1.1 200 OK\r\n\r\nall of this');
    expect(out.messages[0]!.body).toBe('all of this');
    expect(out.completions).toEqual([false]);
  });

  it.each([204, 304])('never reads a body after a %i, whatever it declares', (status) => {
    const out = parseResponses(`HTTP/1.1 ${status} X\r\nContent-Length: 4\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`);
    expect(out.messages.map((m) => [m.method, m.body])).toEqual([[String(status), ''], ['200', '']]);
    expect(out.error).toBeNull();
  });

  it('tells an early close before the Content-Length bytes from a complete answer', () => {
    const out = parseResponses('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort');
    expect(out.completions).toEqual([]);
    expect(out.error).toEqual({ code: 'HPE_INVALID_EOF_STATE', detail: 'connection closed before the end of a Content-Length body' });
  });

  it('treats bytes past the Content-Length as the next answer, which must then be well-formed', () => {
    const out = parseResponses('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nGood, and more\r\n');
    expect(out.completions).toEqual([true]);
    expect(out.error?.code).toBe('HPE_INVALID_CONSTANT');
  });

  it('refuses bytes after an answer that ends the connection', () => {
    const out = parseResponses('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nGoodEvil');
    expect(out.completions).toEqual([false]);
    expect(out.error?.code).toBe('HPE_CLOSED_CONNECTION');
  });

  it('keeps an HTTP/1.0 answer alive only with keep-alive', () => {
    expect(headOf('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(false);
    expect(headOf('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(true);
  });
});

describe('interim (1xx) answers', () => {
  it('reports 100 and 103 on their own, then the final answer', () => {
    const out = parseResponses('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    expect(out.messages.map((m) => [m.interim, m.method])).toEqual([[true, '100'], [true, '103'], [false, '200']]);
    expect(out.messages[2]!.body).toBe('ok');
  });

  it('refuses 101 Switching Protocols, which hubgate never asks for', () => {
    expect(refused('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n').code).toBe('HPE_INVALID_STATUS');
  });

  it('refuses an exchange that ends after a 1xx without the final answer', () => {
    const out = parseResponses('HTTP/1.1 100 Continue\r\n\r\n');
    expect(out.messages.map((m) => m.interim)).toEqual([true]);
    expect(out.error?.code).toBe('HPE_INVALID_EOF_STATE');
  });

  it('bounds the number of 1xx answers before the final one', () => {
    const out = parseResponses('HTTP/1.1 100 Continue\r\n\r\n'.repeat(17), { limits: { maxInterimResponses: 16 } });
    expect(out.error?.code).toBe('HPE_INVALID_STATUS');
    expect(out.messages).toHaveLength(16);
  });

  it('says the exchange has begun once a 1xx is in, and not before', () => {
    const p = new ResponseParser({ onHead() {}, onInterim() {}, onBody() {}, onComplete() {}, onError() {} });
    expect(p.inMessage).toBe(false);
    p.execute(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'));
    expect(p.inMessage).toBe(true);
  });
});

describe('a keep-alive upstream connection', () => {
  it('reads answers one after the other, each complete before the next', () => {
    const out = parseResponses('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n');
    expect(out.messages.map((m) => [m.method, m.body])).toEqual([['200', 'a'], ['202', 'b']]);
    expect(out.completions).toEqual([true, true]);
  });

  it('is idle between answers, so a close there is no error', () => {
    const p = new ResponseParser({ onHead() {}, onInterim() {}, onBody() {}, onComplete() {}, onError: (e) => expect.fail(e.toString()) });
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    expect(p.inMessage).toBe(false);
    p.finish();
  });
});
