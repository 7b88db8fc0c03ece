// Heads we write: one string (or one Buffer with a short body), and nothing we add can end a
// line early or start a second message.
import { describe, it, expect } from 'vitest';
import { responseHead, requestHead, encodeResponse, InvalidFieldError } from '../../src/http/codec/index.js';
import { parseRequests, parseResponses } from './helpers/collect.js';

describe('responseHead', () => {
  it('writes the status line, the parsed fields as they are, then ours, then the empty line', () => {
    const head = responseHead(200, undefined, ['X-Hubgate-App', 'shop'], ['Content-Type', 'application/json', 'Content-Length', '2']);
    expect(head).toBe('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nX-Hubgate-App: shop\r\n\r\n');
    expect(parseResponses(`${head}{}`).messages[0]).toMatchObject({ method: '200', target: 'OK', body: '{}' });
  });

  it('keeps the reason it is given, even an empty one', () => {
    expect(responseHead(299, 'Custom', [])).toBe('HTTP/1.1 299 Custom\r\n\r\n');
    expect(responseHead(299, undefined, [])).toBe('HTTP/1.1 299 \r\n\r\n');
  });

  it.each([
    ['a CRLF in a value', ['X-A', 'a\r\nSet-Cookie: evil']],
    ['a bare LF in a value', ['X-A', 'a\nb']],
    ['a NUL in a value', ['X-A', 'a\u0000b']],
    ['a character past latin1 in a value', ['X-A', 'caf\u20ac']],
    ['a space in a name', ['X A', 'b']],
    ['a colon in a name', ['X:A', 'b']],
    ['an empty name', ['', 'b']],
    ['a name without a value', ['X-A']],
  ])('refuses %s', (_what, fields) => {
    expect(() => responseHead(200, undefined, fields)).toThrow(InvalidFieldError);
  });

  it('refuses a status outside 100-599 and a reason with a line end', () => {
    expect(() => responseHead(1000, undefined, [])).toThrow(InvalidFieldError);
    expect(() => responseHead(200, 'OK\r\nX: y', [])).toThrow(InvalidFieldError);
  });
});

describe('requestHead', () => {
  it('writes the request line and fields, parsed back the same', () => {
    const head = requestHead('POST', '/hook?x=1', ['X-Forwarded-For', '203.0.113.7'], ['Host', 'meta', 'Content-Length', '2']);
    const m = parseRequests(`${head}{}`).messages[0]!;
    expect([m.method, m.target, m.headers, m.body]).toEqual(['POST', '/hook?x=1', ['Host', 'meta', 'Content-Length', '2', 'X-Forwarded-For', '203.0.113.7'], '{}']);
  });

  it.each([
    ['a method with a space', 'PO ST', '/'],
    ['a target with a space', 'GET', '/a b'],
    ['a target with CRLF', 'GET', '/a\r\nX: y'],
    ['an empty target', 'GET', ''],
  ])('refuses %s', (_what, method, target) => {
    expect(() => requestHead(method, target, [])).toThrow(InvalidFieldError);
  });
});

describe('encodeResponse', () => {
  it('builds status, fields, Content-Length and body as one Buffer', () => {
    const out = encodeResponse(403, undefined, ['Content-Type', 'text/plain'], 'client_cert_required\n');
    expect(out.toString('latin1')).toBe('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\nclient_cert_required\n');
  });

  it('counts the body in bytes, not characters', () => {
    const out = encodeResponse(200, undefined, [], 'h\u00e9llo');
    expect(parseResponses(out).messages[0]!.body).toBe(Buffer.from('h\u00e9llo').toString('latin1'));
  });

  it('takes a Buffer body and an empty one', () => {
    expect(encodeResponse(200, undefined, [], Buffer.from('ok')).toString()).toMatch(/Content-Length: 2\r\n\r\nok$/);
    expect(encodeResponse(200, undefined, []).toString()).toBe('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });

  it('gives a 204 or 304 neither body nor Content-Length', () => {
    expect(encodeResponse(204, undefined, []).toString()).toBe('HTTP/1.1 204 No Content\r\n\r\n');
    expect(() => encodeResponse(304, undefined, [], 'x')).toThrow(InvalidFieldError);
  });

  it('frames the body itself and refuses fields that would frame it otherwise', () => {
    expect(() => encodeResponse(200, undefined, ['content-length', '9'], 'x')).toThrow(InvalidFieldError);
    expect(() => encodeResponse(200, undefined, ['Transfer-Encoding', 'chunked'], 'x')).toThrow(InvalidFieldError);
  });
});
