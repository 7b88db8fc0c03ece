// Every bound of the codec: where it lies exactly, and that past it the parser stops without
// reading on (a hostile peer cannot make it buffer more than the limit).
import { describe, it, expect } from 'vitest';
import { RequestParser, codecLimits, DEFAULT_LIMITS, ParseError } from '../../src/http/codec/index.js';
import { parseRequests, parseResponses } from './helpers/collect.js';

/** A request whose head is exactly `size` bytes. */
function headOfSize(size: number): string {
  const start = 'GET / HTTP/1.1\r\nX: ';
  return `${start}${'a'.repeat(size - start.length - 4)}\r\n\r\n`;
}

describe('head size (limits.maxHeaderBytes, every byte counted)', () => {
  it('defaults to 16 KiB, 2,000 fields, a target as long as the head, 1 KiB chunk lines', () => {
    expect(DEFAULT_LIMITS).toMatchObject({ maxHeaderBytes: 16_384, maxHeaderCount: 2000, maxTargetBytes: 16_384, maxChunkLineBytes: 1024 });
    expect(codecLimits({ maxHeaderBytes: 100 }).maxTargetBytes).toBe(100);
  });

  it('accepts a head of exactly the limit and refuses one byte more (HPE_HEADER_OVERFLOW, 431)', () => {
    expect(headOfSize(200)).toHaveLength(200);
    expect(parseRequests(headOfSize(200), { limits: { maxHeaderBytes: 200 } }).error).toBeNull();
    const e = parseRequests(headOfSize(201), { limits: { maxHeaderBytes: 200 } }).error;
    expect(e?.code).toBe('HPE_HEADER_OVERFLOW');
    expect(new ParseError('HPE_HEADER_OVERFLOW', '').status).toBe(431);
  });

  it('counts the empty lines before a request line', () => {
    expect(parseRequests('\r\n'.repeat(10) + headOfSize(200), { limits: { maxHeaderBytes: 219 } }).error?.code).toBe('HPE_HEADER_OVERFLOW');
  });

  it('counts CRLFs and whitespace, which llhttp does not: a flood of empty fields is bounded too', () => {
    const flood = `GET / HTTP/1.1\r\n${'a:\r\n'.repeat(5_000)}\r\n`;
    expect(parseRequests(flood).error?.code).toBe('HPE_HEADER_OVERFLOW');
  });

  it('refuses an endless head line as soon as it passes the limit, without waiting for its end', () => {
    const errors: string[] = [];
    const p = new RequestParser({ onHead() {}, onBody() {}, onComplete() {}, onError: (e) => errors.push(e.code) }, { maxHeaderBytes: 1024 });
    p.execute(Buffer.from('GET / HTTP/1.1\r\nX: '));
    for (let i = 0; i < 10 && errors.length === 0; i++) p.execute(Buffer.alloc(200, 0x61));
    expect(errors).toEqual(['HPE_HEADER_OVERFLOW']);
  });

  it('bounds each message of a pipeline on its own', () => {
    const out = parseRequests(headOfSize(200).repeat(3), { limits: { maxHeaderBytes: 200 } });
    expect(out.error).toBeNull();
    expect(out.completions).toHaveLength(3);
  });

  it('bounds upstream answers the same way (a header flood from the app)', () => {
    const out = parseResponses(`HTTP/1.1 200 OK\r\n${'X-F: v\r\n'.repeat(3_000)}Content-Length: 0\r\n\r\n`);
    expect(out.error?.code).toBe('HPE_HEADER_OVERFLOW');
  });
});

describe('field count (limits.maxHeaderCount, as node:http maxHeadersCount)', () => {
  it('keeps the first 2,000 fields and drops the rest, the signature with them', () => {
    const fields = Array.from({ length: 2_100 }, () => 'a:\r\n').join('');
    let head: { headers: string[]; droppedHeaders: number; hubSignature: string | undefined } | undefined;
    const p = new RequestParser({ onHead: (h) => (head = h), onBody() {}, onComplete() {}, onError: (e) => expect.fail(e.toString()) });
    p.execute(Buffer.from(`POST / HTTP/1.1\r\nHost: a\r\n${fields}X-Hub-Signature-256: sha256=00\r\n\r\n`));
    expect(head!.headers).toHaveLength(4_000);
    expect(head!.droppedHeaders).toBe(102);
    expect(head!.hubSignature).toBeUndefined();
  });

  it('still honours framing fields past the count, so the message boundary never moves', () => {
    const fields = 'a:\r\n'.repeat(2_000);
    const out = parseRequests(`POST / HTTP/1.1\r\n${fields}Content-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n`);
    expect(out.messages.map((m) => m.body)).toEqual(['hello', '']);
    expect(parseRequests(`POST / HTTP/1.1\r\nContent-Length: 5\r\n${fields}Content-Length: 5\r\n\r\nhello`).error?.code).toBe('HPE_UNEXPECTED_CONTENT_LENGTH');
  });
});

describe('request-target length (limits.maxTargetBytes)', () => {
  it('answers 414 past it when it is set below the head limit', () => {
    const out = parseRequests(`GET /${'a'.repeat(100)} HTTP/1.1\r\n\r\n`, { limits: { maxTargetBytes: 100 } });
    expect(out.error?.code).toBe('HPE_URI_TOO_LONG');
    expect(new ParseError('HPE_URI_TOO_LONG', '').status).toBe(414);
    expect(parseRequests(`GET /${'a'.repeat(99)} HTTP/1.1\r\n\r\n`, { limits: { maxTargetBytes: 100 } }).error).toBeNull();
  });

  it('lets the head limit answer a 20 kB URL with 431 by default, as node:http did', () => {
    expect(parseRequests(`GET /webhooks/shop?${'a'.repeat(20_000)} HTTP/1.1\r\n\r\n`).error?.code).toBe('HPE_HEADER_OVERFLOW');
  });
});

describe('chunk-size line (limits.maxChunkLineBytes)', () => {
  const head = 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n';

  it('accepts a line of exactly the limit and refuses one byte more', () => {
    const line = (n: number) => `1;${'e'.repeat(n - 4)}\r\n`;
    expect(line(64)).toHaveLength(64);
    expect(parseRequests(`${head}${line(64)}x\r\n0\r\n\r\n`, { limits: { maxChunkLineBytes: 64 } }).error).toBeNull();
    expect(parseRequests(`${head}${line(65)}x\r\n0\r\n\r\n`, { limits: { maxChunkLineBytes: 64 } }).error?.code).toBe('HPE_CHUNK_EXTENSIONS_OVERFLOW');
  });

  it('bounds leading zeros, which llhttp reads without end', () => {
    expect(parseRequests(`${head}${'0'.repeat(2_000)}1\r\nx\r\n0\r\n\r\n`).error?.code).toBe('HPE_CHUNK_EXTENSIONS_OVERFLOW');
  });
});

describe('body size (the consumer enforces limits.maxBodyBytes)', () => {
  it('declares a Content-Length body length at head time, before any body byte', () => {
    let declared = -2;
    let bodyBytes = 0;
    const p = new RequestParser({ onHead: (h) => ((declared = h.contentLength), p.pause()), onBody: (b) => (bodyBytes += b.length), onComplete() {}, onError() {} });
    p.execute(Buffer.from('POST / HTTP/1.1\r\nContent-Length: 4194305\r\n\r\nxxxx'));
    expect([declared, bodyBytes]).toEqual([4_194_305, 0]);
  });
});
