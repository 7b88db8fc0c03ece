// Well-formed requests and responses only (pipelined, every framing, extensions, trailers,
// interim answers), so the fuzz also compares what both parsers accept field by field and
// byte by byte, not only what they refuse. Each of these must be accepted by both.
import fc from 'fast-check';
import { METHODS } from '../../../src/http/codec/index.js';
import { token } from './grammar.js';

const visible = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const valueByte = fc.oneof({ weight: 10, arbitrary: visible }, fc.constantFrom(' ', '\t'), fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)));
const value = fc.string({ unit: valueByte, maxLength: 30 });
const RESERVED = /^(content-length|transfer-encoding|connection|proxy-connection|upgrade)$/i;
const field = fc.tuple(fc.oneof(token(), fc.constantFrom('Host', 'X-Hub-Signature-256', 'Content-Type', 'Expect')), value, fc.constantFrom(': ', ':', ':\t', ':  ')).filter(([n]) => !RESERVED.test(n)).map(([n, v, sep]) => `${n}${sep}${v}`);
const body = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const ext = fc.constantFrom('', '', ';a', ';a=b', ';name="v a l"', ';x="\\"q\\""', ';a;b=c');

function chunked(text: string): fc.Arbitrary<string> {
  return fc.tuple(fc.array(fc.nat({ max: text.length }), { maxLength: 4 }), ext, fc.array(field, { maxLength: 2 }), fc.boolean()).map(([cuts, e, trailers, upper]) => {
    const points = [...new Set([0, ...cuts, text.length])].sort((a, b) => a - b);
    let out = '';
    for (let i = 1; i < points.length; i++) {
      const size = points[i]! - points[i - 1]!;
      if (size > 0) out += `${upper ? size.toString(16).toUpperCase() : size.toString(16)}${e}\r\n${text.slice(points[i - 1], points[i])}\r\n`;
    }
    return `${out}0${e}\r\n${trailers.map((t) => `${t}\r\n`).join('')}\r\n`;
  });
}

/** Framing lines and encoded body: none, Content-Length, or chunked. */
interface Framed {
  lines: string[];
  encoded: string;
}
const framed = (bodyless: boolean): fc.Arbitrary<Framed> =>
  body.chain((b) =>
    bodyless
      ? fc.constant<Framed>({ lines: [], encoded: '' })
      : fc.oneof(
          fc.constant<Framed>({ lines: [], encoded: '' }),
          fc.constant<Framed>({ lines: [`Content-Length: ${b.length}`], encoded: b }),
          chunked(b).map((encoded): Framed => ({ lines: ['Transfer-Encoding: chunked'], encoded })),
        ),
  );

function head(start: string, fields: readonly string[], framing: readonly string[], at: number): string {
  const all = [...fields];
  all.splice(at % (all.length + 1), 0, ...framing);
  return `${start}\r\n${all.map((l) => `${l}\r\n`).join('')}\r\n`;
}

const request = fc
  .tuple(fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT')), fc.string({ unit: visible, maxLength: 30 }), fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'), fc.array(field, { maxLength: 8 }), framed(false), fc.nat())
  .map(([method, path, version, fields, f, at]) => {
    // HTTP/1.0 keeps the connection only when asked, so that pipelining goes on.
    const extra = version === 'HTTP/1.0' ? ['Connection: keep-alive'] : [];
    const lines = version === 'HTTP/1.0' && f.lines[0]?.startsWith('Transfer') ? [`Content-Length: ${f.encoded.length}`] : f.lines;
    return head(`${method} /${path} ${version}`, [...fields, ...extra], lines, at) + f.encoded;
  });

export const validRequests = fc.tuple(fc.array(request, { minLength: 1, maxLength: 3 }), fc.constantFrom('', '\r\n')).map(([rs, lead]) => Buffer.from(lead + rs.join(''), 'latin1'));

const reason = fc.string({ unit: valueByte, maxLength: 20 }).map((r) => (r === '' ? '' : ` ${r}`));
const response = fc
  .tuple(fc.constantFrom(200, 201, 202, 204, 301, 304, 400, 404, 500, 502, 503), reason, fc.array(field, { maxLength: 8 }), fc.nat(), fc.constantFrom('', '', 'HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n'))
  .chain(([status, r, fields, at, interim]) =>
    framed(status === 204 || status === 304).map((f) => interim + head(`HTTP/1.1 ${status}${r === ' ' ? ' ' : r}`, fields, f.lines.length > 0 || status === 204 || status === 304 ? f.lines : ['Content-Length: 0'], at) + f.encoded),
  );

export const validResponses = fc.array(response, { minLength: 1, maxLength: 3 }).map((rs) => Buffer.from(rs.join(''), 'latin1'));
