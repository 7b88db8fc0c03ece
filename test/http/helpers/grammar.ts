// Pieces of HTTP/1.1 messages for fast-check: fields, bodies with every framing (and the odd
// variants attackers use), and mutations. A message is built as lines so that a structural
// mutation knows what it broke; `Tagged` says which stricter class (stricter.ts) it falls in.
import fc from 'fast-check';
import type { ClassName } from './stricter.js';

export interface Piece {
  text: string;
  /** The input is in this stricter class by construction: we must refuse it. */
  tag?: ClassName;
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const token = (max = 12) => fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: max });

const visible = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const obsText = fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c));
const anyByte = fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c));

export const fieldValue = fc.oneof(
  { weight: 40, arbitrary: fc.string({ unit: fc.oneof({ weight: 8, arbitrary: visible }, fc.constant(' '), fc.constant('\t')), maxLength: 40 }) },
  { weight: 6, arbitrary: fc.string({ unit: fc.oneof({ weight: 4, arbitrary: visible }, obsText, fc.constant(' ')), maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: anyByte, maxLength: 8 }) },
);

/** Field names other than the framing ones (those come with the framing). */
export const fieldName = fc.oneof(
  { weight: 15, arbitrary: fc.constantFrom('Host', 'host', 'Content-Type', 'X-Hub-Signature-256', 'User-Agent', 'Accept', 'Expect', 'Upgrade', 'X_Forwarded_For', 'Trailer') },
  { weight: 15, arbitrary: token() },
  { weight: 1, arbitrary: fc.constantFrom('Bad Header', 'X(Evil)', 'X{', '', 'Ä', 'X\u0000Y', 'Content-Length ', ' X') },
);

export const connectionValue = fc.constantFrom('close', 'keep-alive', 'Keep-Alive', 'CLOSE', 'upgrade', 'keep-alive, close', 'close, keep-alive', 'foo,close', 'closex', ' close ', 'te, close', 'keep-alive ,  foo');

export const field = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fieldName, fieldValue).map(([n, v]) => `${n}: ${v}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Connection', 'Proxy-Connection', 'connection'), connectionValue).map(([n, v]) => `${n}: ${v}`) },
  { weight: 1, arbitrary: fc.tuple(fieldName, fieldValue).map(([n, v]) => `${n}:${v}`) },
);

/** Content-Length as attackers write it, or right. */
export function contentLengthLines(length: number): fc.Arbitrary<string[]> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant<string[]>([`Content-Length: ${length}`]) },
    {
      weight: 4,
      arbitrary: fc.constantFrom<string[]>(
        [`content-length:${length}`], [`Content-Length:  ${length}\t`], [`Content-Length: 0${length}`], [`Content-Length: +${length}`],
        [`Content-Length: ${length}, ${length}`], [`Content-Length: ${length} ${length}`], ['Content-Length: -1'], ['Content-Length: '],
        ['Content-Length: 99999999999999999999'], ['Content-Length: 9007199254740993'], [`Content-Length: ${length}`, `Content-Length: ${length}`],
        [`Content-Length: ${length}`, `Content-Length: ${length + 1}`], [`Content-Length: 0x${length.toString(16)}`], [`Content-Length: ${length + 3}`],
        [`Content-Length: ${Math.max(0, length - 2)}`],
      ),
    },
  );
}

type TE = { lines: string[]; tag?: ClassName };
export const transferEncodingLines: fc.Arbitrary<TE> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<TE>({ lines: ['Transfer-Encoding: chunked'] }) },
  { weight: 2, arbitrary: fc.constantFrom<TE>({ lines: ['Transfer-Encoding: CHUNKED'] }, { lines: ['transfer-encoding:\tChunked '] }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom<TE>(
      { lines: ['Transfer-Encoding: gzip, chunked'], tag: 'transfer-coding' },
      { lines: ['Transfer-Encoding: chunked, gzip'], tag: 'transfer-coding' },
      { lines: ['Transfer-Encoding: ,chunked'], tag: 'transfer-coding' },
      { lines: ['Transfer-Encoding: chunked,'], tag: 'transfer-coding' },
      { lines: ['Transfer-Encoding: identity'], tag: 'transfer-coding' },
      { lines: ['Transfer-Encoding: xchunked'], tag: 'transfer-coding' },
      { lines: ['Transfer-Encoding: gzip', 'Transfer-Encoding: chunked'], tag: 'transfer-coding' },
      { lines: ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], tag: 'transfer-coding' },
      { lines: ['Transfer-Encoding: chunked', 'Content-Length: 3'] },
      { lines: ['Content-Length: 3', 'Transfer-Encoding: chunked'] },
      { lines: ['Transfer-Encoding:'] },
    ),
  },
);

const EXTENSIONS = [';a', ';a=b', ';ab=c;d', ';a="q w"', ';a="x\\"y"', ';a="\u00e9"', ';a=', '; a', ';a =b', ';a= b', ';=b', ';a;b', ';a="', ';a=b c', ';a=\u00e9'];

/** A chunked encoding of `body`: sizes in any case and with leading zeros, extensions (valid
 *  and not), trailers. Returns the text and the tag of a stricter class it falls in, if any. */
export function chunkedBody(body: string): fc.Arbitrary<Piece> {
  return fc
    .record({
      cuts: fc.array(fc.nat({ max: body.length }), { maxLength: 4 }),
      upper: fc.boolean(),
      zeros: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, fc.nat({ max: 3 }), fc.constant(1100)),
      extensions: fc.array(fc.oneof({ weight: 5, arbitrary: fc.constant('') }, fc.constantFrom(...EXTENSIONS)), { minLength: 6, maxLength: 6 }),
      trailers: fc.oneof({ weight: 4, arbitrary: fc.constant([] as string[]) }, fc.array(field, { maxLength: 3 }), fc.constantFrom<string[]>(['Content-Length: 1'], ['Connection: close'], ['Transfer-Encoding: chunked'], ['X-Hub-Signature-256: sha256=00'], [' folded'])),
    })
    .map(({ cuts, upper, zeros, extensions, trailers }) => {
      const points = [...new Set([0, ...cuts, body.length])].sort((a, b) => a - b);
      let text = '';
      let tag: ClassName | undefined;
      const ext = (i: number) => {
        const e = extensions[i % extensions.length]!;
        if (e === ';a=' || e === ';=b') tag = 'chunk-extension';
        return e;
      };
      for (let i = 1; i < points.length; i++) {
        const size = points[i]! - points[i - 1]!;
        if (size === 0) continue;
        const hex = size.toString(16);
        text += `${'0'.repeat(zeros)}${upper ? hex.toUpperCase() : hex}${ext(i)}\r\n${body.slice(points[i - 1], points[i])}\r\n`;
      }
      if (zeros > 1000) tag = 'limits';
      text += `${'0'.repeat(zeros)}0${ext(0)}\r\n${trailers.map((t) => `${t}\r\n`).join('')}\r\n`;
      if (trailers.some((t) => /^transfer-encoding:/i.test(t))) tag = 'transfer-coding';
      return { text, tag };
    });
}

export const bodyText = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 6, arbitrary: fc.string({ unit: anyByte, maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('0\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\n') },
);

/** Joins a head from its lines, after optionally breaking one line end (tagged). */
export function headText(lines: string[], breakAt: number, how: 'none' | 'lf' | 'cr' | 'fold'): Piece {
  const ends = lines.map(() => '\r\n');
  let tag: ClassName | undefined;
  const at = breakAt % (lines.length + 1); // lines.length = the empty line closing the head
  // Tagged only when the broken line end stays broken (no CR already before the LF, no LF
  // right after the CR); a CR at the very end is checked by the caller against the body.
  const before = at < lines.length ? lines[at]!.slice(-1) : '\n';
  const after = at + 1 < lines.length ? lines[at + 1]!.slice(0, 1) : '';
  if ((how === 'lf' && before !== '\r') || (how === 'cr' && after !== '\n')) tag = 'bare-cr-lf';
  else how = how === 'fold' ? 'fold' : 'none';
  const parts = lines.map((l, i) => l + (i === at && tag ? (how === 'lf' ? '\n' : '\r') : ends[i]));
  let text = parts.join('') + (at === lines.length && tag ? (how === 'lf' ? '\n' : '\r') : '\r\n');
  if (how === 'fold' && lines.length > 1) text = text.replace('\r\n', '\r\n folded\r\n');
  return { text, tag };
}

/** Byte-level damage anywhere (untagged: the differential decides). */
export interface Edit {
  at: number;
  op: 'insert' | 'replace' | 'delete';
  byte: number;
}
export const damage: fc.Arbitrary<Edit[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Edit[]>([]) },
  fc.array(
    fc.record({ at: fc.nat(), op: fc.constantFrom<Edit['op']>('insert', 'replace', 'delete'), byte: fc.constantFrom(0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a, 0x2c, 0x3b, 0x22, 0x7f, 0x80, 0xff, 0x30, 0x39, 0x61, 0x41, 0x2f) }),
    { minLength: 1, maxLength: 2 },
  ),
);

export function applyDamage(text: string, edits: readonly Edit[]): string {
  for (const e of edits) {
    const at = e.at % (text.length + 1);
    const c = String.fromCharCode(e.byte);
    if (e.op === 'insert') text = text.slice(0, at) + c + text.slice(at);
    else if (e.op === 'replace') text = text.slice(0, at) + c + text.slice(at + 1);
    else text = text.slice(0, at) + text.slice(at + 1);
  }
  return text;
}
