// Chunked bodies (RFC 9112 §7.1): sizes, extensions, the CRLF after each chunk, trailers.
import { describe, it, expect } from 'vitest';
import { parseRequests, parseResponses } from './helpers/collect.js';

const HEAD = 'POST /webhooks/shop HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';

function body(chunked: string): string {
  const out = parseRequests(HEAD + chunked);
  expect(out.error).toBeNull();
  expect(out.completions).toHaveLength(1);
  return out.messages[0]!.body;
}

function refusedCode(chunked: string): string | undefined {
  const out = parseRequests(HEAD + chunked);
  expect(out.completions).toEqual([]);
  return out.error?.code;
}

describe('chunk sizes', () => {
  it('joins the chunks into the body, hex in any case, leading zeros allowed', () => {
    expect(body('5\r\nhello\r\n0B\r\n, world!!\r\n\r\n0\r\n\r\n')).toBe('hello, world!!\r\n');
    expect(body('00005\r\nhello\r\n0\r\n\r\n')).toBe('hello');
  });

  it.each([
    ['a negative size', '-5\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a size with a sign', '+5\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a size with junk after it', '5 x\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a space after the size', '5 \r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['no size', '\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a size that overflows 64 bits', 'ffffffffffffffffff5\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a size past 2^53 - 1', '20000000000000\r\nhello', 'HPE_INVALID_CHUNK_SIZE'],
    ['a bare LF after the size', '5\nhello\r\n0\r\n\r\n', 'HPE_CR_EXPECTED'],
    ['a bare CR after the size', '5\rhello\r\n0\r\n\r\n', 'HPE_LF_EXPECTED'],
    ['bare LF chunk lines throughout', '5\nhello\n0\n\n', 'HPE_CR_EXPECTED'],
  ])('refuses %s', (_what, chunked, code) => {
    expect(refusedCode(chunked)).toBe(code);
  });
});

describe('the CRLF after chunk data', () => {
  it.each([
    ['more data than the size', '3\r\nhello\r\n0\r\n\r\n', 'HPE_CR_EXPECTED'],
    ['LF alone', '5\r\nhello\n0\r\n\r\n', 'HPE_CR_EXPECTED'],
    ['CR alone', '5\r\nhello\r0\r\n\r\n', 'HPE_LF_EXPECTED'],
  ])('refuses chunk data followed by %s', (_what, chunked, code) => {
    expect(refusedCode(chunked)).toBe(code);
  });
});

describe('chunk extensions (parsed, bounded, dropped)', () => {
  it.each([';a', ';a=b', ';a=b;c', ';a="x y"', ';a="q\\"uote"', ';a="\u00e9"', ';name=tok~en'])('accepts %s', (ext) => {
    expect(body(`5${ext}\r\nhello\r\n0${ext}\r\n\r\n`)).toBe('hello');
  });

  it.each([
    ['an empty value', ';a='],
    ['an empty name', ';=b'],
    ['two semicolons', ';;a'],
    ['a space before the name', '; a'],
    ['a space around "="', ';a =b'],
    ['an unterminated quoted string', ';a="x'],
    ['a control byte in a quoted string', ';a="x\u0001"'],
    ['a bare token after a quoted string', ';a="x"y'],
    ['a non-token byte in a value', ';a=b c'],
  ])('refuses %s', (_what, ext) => {
    expect(['HPE_STRICT', 'HPE_INVALID_CHUNK_SIZE']).toContain(refusedCode(`5${ext}\r\nhello\r\n0\r\n\r\n`));
  });

  it('refuses a 20 kB extension as soon as the line passes limits.maxChunkLineBytes', () => {
    expect(refusedCode(`5;${'e'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`)).toBe('HPE_CHUNK_EXTENSIONS_OVERFLOW');
  });
});

describe('trailers (checked, bounded, never merged into the head)', () => {
  it('drops trailer fields: a signature sent there is not a signature', () => {
    const out = parseRequests(`${HEAD.replace('\r\n\r\n', '\r\nTrailer: X-Hub-Signature-256\r\n\r\n')}5\r\nhello\r\n0\r\nX-Hub-Signature-256: sha256=00\r\n\r\n`);
    expect(out.error).toBeNull();
    expect(out.messages[0]!.headers.filter((_, i) => i % 2 === 0)).toEqual(['Host', 'Transfer-Encoding', 'Trailer']);
    expect(out.messages[0]!.body).toBe('hello');
  });

  it.each([
    ['Content-Length', 'Content-Length: 5', 'HPE_INVALID_CONTENT_LENGTH'],
    ['Transfer-Encoding', 'Transfer-Encoding: chunked', 'HPE_INVALID_TRANSFER_ENCODING'],
    ['an invalid field', 'X Y: z', 'HPE_INVALID_HEADER_TOKEN'],
    ['obs-fold', 'X: y\r\n z', 'HPE_INVALID_HEADER_TOKEN'],
  ])('refuses %s in a trailer section', (_what, line, code) => {
    expect(refusedCode(`5\r\nhello\r\n0\r\n${line}\r\n\r\n`)).toBe(code);
  });

  it('ends the connection after a trailer section that says Connection: close', () => {
    const out = parseRequests(`${HEAD}0\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n`);
    expect(out.messages[0]!.keepAlive).toBe(true);
    expect(out.completions).toEqual([false]);
    expect(out.error?.code).toBe('HPE_CLOSED_CONNECTION');
  });

  it('bounds the trailer section by limits.maxHeaderBytes', () => {
    const out = parseRequests(`${HEAD}0\r\nX-A: ${'a'.repeat(300)}\r\n\r\n`, { limits: { maxHeaderBytes: 256 } });
    expect(out.error?.code).toBe('HPE_HEADER_OVERFLOW');
  });

  it('works the same in upstream answers', () => {
    const out = parseResponses('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nok\r\n0\r\nServer-Timing: db;dur=1\r\n\r\n');
    expect(out.messages[0]).toMatchObject({ body: 'ok', headers: ['Transfer-Encoding', 'chunked'] });
    expect(out.completions).toEqual([true]);
  });
});
