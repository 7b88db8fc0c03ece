// Whole requests and upstream responses for the differential fuzz: valid ones from a grammar,
// then framing variants, broken line ends, odd start lines, floods, pipelining and byte damage.
import fc from 'fast-check';
import { METHODS } from '../../../src/http/codec/index.js';
import type { ClassName } from './stricter.js';
import { type Edit, field, bodyText, contentLengthLines, transferEncodingLines, chunkedBody, headText, damage, applyDamage, token, type Piece } from './grammar.js';

export interface Sample {
  bytes: Buffer;
  /** Classes the first message belongs to by construction, so we must refuse the input
   *  (later messages may be swallowed by the first one's framing; damage voids the tags). */
  tags: ClassName[];
}

type Framed = { lines: string[]; body: string; tag?: ClassName };
const framing = (body: string): fc.Arbitrary<Framed> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant<Framed>({ lines: [], body: '' }) },
    { weight: 5, arbitrary: contentLengthLines(body.length).map((lines) => ({ lines, body })) },
    {
      weight: 5,
      arbitrary: fc.tuple(transferEncodingLines, chunkedBody(body)).map(([te, c]): Framed => {
        const tag = te.tag ?? c.tag;
        return tag ? { lines: te.lines, body: c.text, tag } : { lines: te.lines, body: c.text };
      }),
    },
  );

/** Head lines in any order, with a flood now and then. */
const headFields = (framingLines: string[]) =>
  fc
    .tuple(
      fc.array(field, { maxLength: 8 }),
      fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, fc.integer({ min: 100, max: 1900 }), fc.integer({ min: 2000, max: 2600 })),
      fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, fc.integer({ min: 12_000, max: 30_000 })),
      fc.nat(),
    )
    .map(([fields, flood, big, at]) => {
      const all = [...fields];
      for (let i = 0; i < flood; i++) all.push(`f${i % 97}: v`);
      if (big > 0) all.push(`X-Big: ${'b'.repeat(big)}`);
      const pos = at % (all.length + 1);
      all.splice(pos, 0, ...framingLines);
      return all;
    });

const breakLine = fc.record({
  at: fc.nat(),
  how: fc.oneof({ weight: 30, arbitrary: fc.constant<'none'>('none') }, fc.constantFrom<'lf' | 'cr' | 'fold'>('lf', 'cr', 'fold')),
});

/** Assembles head + body; the caller's tag plus a bare-CR/LF tag that survived the body. */
function assemble(lines: string[], brk: { at: number; how: 'none' | 'lf' | 'cr' | 'fold' }, body: string, tags: ClassName[]): Piece & { tags: ClassName[] } {
  const head = headText(lines, brk.at, brk.how);
  const all = [...tags];
  if (head.tag && !(head.text.endsWith('\r') && body.startsWith('\n'))) all.push(head.tag);
  return { text: head.text + body, tags: all };
}

const requestLine = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(fc.oneof({ weight: 6, arbitrary: fc.constantFrom('POST', 'GET') }, fc.constantFrom(...METHODS)), fc.constant<ClassName | undefined>(undefined)) },
  { weight: 2, arbitrary: fc.tuple(fc.oneof(token(8), fc.constantFrom('post', 'PRI', 'DESCRIBE', 'G ET', 'GET\t')), fc.constant<ClassName | undefined>(undefined)) },
).chain(([method]) =>
  fc.record({
    method: fc.constant(method),
    target: fc.oneof(
      { weight: 12, arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 }).map((p) => `/${p}`) },
      { weight: 2, arbitrary: fc.constantFrom('*', 'http://a.example/x?y', 'https://u@h:1/p', 'a.example:443', 'http://a@@b/', 'h1tp://x/', '/a#b', 'x', '/\u00e9', '/a\u0000') },
    ),
    version: fc.oneof(
      { weight: 20, arbitrary: fc.constant<[string, ClassName | undefined]>(['HTTP/1.1', undefined]) },
      { weight: 4, arbitrary: fc.constant<[string, ClassName | undefined]>(['HTTP/1.0', undefined]) },
      { weight: 3, arbitrary: fc.constantFrom<[string, ClassName | undefined]>(['HTTP/2.0', 'version'], ['HTTP/0.9', 'version'], ['RTSP/1.0', 'version'], ['', 'version'], ['HTTP/1.2', undefined], ['http/1.1', undefined], ['HTTP/1.10', undefined], ['HTTP/1.1 ', undefined]) },
    ),
    spaces: fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, fc.constantFrom(1, 2)),
  }),
);

const oneRequest: fc.Arbitrary<Piece & { tags: ClassName[] }> = fc
  .tuple(requestLine, bodyText, breakLine)
  .chain(([rl, body, brk]) =>
    fc.tuple(fc.constant(rl), framing(body), fc.constant(brk)).chain(([r, f, b]) =>
      headFields(f.lines).map((fields) => {
        const tags: ClassName[] = [];
        const [version, vtag] = r.version;
        if (vtag && METHOD_SET.has(r.method)) tags.push(vtag);
        let line: string;
        if (version === '') line = `${r.method} ${r.target}`; // an HTTP/0.9 request line
        else if (r.spaces === 1) line = `${r.method}  ${r.target} ${version}`;
        else if (r.spaces === 2) line = `${r.method} ${r.target}  ${version}`;
        else line = `${r.method} ${r.target} ${version}`;
        if (r.spaces > 0 && METHOD_SET.has(r.method) && version !== '') tags.push('request-line-whitespace');
        if (f.tag) tags.push(f.tag);
        if (version === 'HTTP/1.0' && f.lines.some((l) => /^transfer-encoding:/i.test(l))) tags.push('transfer-coding');
        return assemble([line, ...fields], b, f.body, tags);
      }),
    ),
  );

const METHOD_SET = new Set(METHODS);

export const requests: fc.Arbitrary<Sample> = fc
  .tuple(fc.array(oneRequest, { minLength: 1, maxLength: 3 }), fc.constantFrom('', '', '', '\r\n', '\r\n\r\n'), damage)
  .map(([messages, lead, edits]) => toSample(lead + messages.map((m) => m.text).join(''), edits.length === 0 ? messages[0]!.tags : [], edits));

function toSample(text: string, tags: ClassName[], edits: readonly Edit[]): Sample {
  return { bytes: Buffer.from(applyDamage(text, edits), 'latin1'), tags: [...new Set(tags)] };
}

const statusLine = fc.record({
  version: fc.oneof(
    { weight: 20, arbitrary: fc.constant<[string, ClassName | undefined]>(['HTTP/1.1', undefined]) },
    { weight: 3, arbitrary: fc.constant<[string, ClassName | undefined]>(['HTTP/1.0', undefined]) },
    { weight: 2, arbitrary: fc.constantFrom<[string, ClassName | undefined]>(['HTTP/2.0', 'version'], ['HTTP/0.9', 'version'], ['RTSP/1.0', 'version'], ['ICE/1.0', undefined], ['HTTP/1.2', undefined], ['http/1.1', undefined]) },
  ),
  status: fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom(200, 200, 202, 204, 304, 400, 404, 500, 502) },
    { weight: 3, arbitrary: fc.constantFrom<number>(101, 0, 99, 600, 999) },
  ),
  reason: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(' OK', ' Not Found', ' ', '', ' Caf\u00e9', ' a\tb') },
    { weight: 1, arbitrary: fc.constantFrom(' a\u0001b', ' \u0000', ' x\u007f', 'X') },
  ),
});

const interim = fc.constantFrom('HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n', 'HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n');

const oneResponse: fc.Arbitrary<Piece & { tags: ClassName[] }> = fc
  .tuple(statusLine, bodyText, breakLine, fc.oneof({ weight: 6, arbitrary: fc.constant('') }, interim))
  .chain(([sl, body, brk, pre]) =>
    fc.tuple(framing(body), fc.boolean()).chain(([f, untilClose]) =>
      headFields(f.lines).map((fields) => {
        const tags: ClassName[] = [];
        const [version, vtag] = sl.version;
        const status = String(sl.status).padStart(3, '0');
        if (vtag) tags.push(vtag);
        const code = sl.status;
        if (code < 100 || code > 599) tags.push('status-range');
        else if (code === 101) tags.push('unrequested-101');
        if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(sl.reason.slice(1)) && sl.reason.startsWith(' ')) tags.push('reason-phrase');
        if (f.tag) tags.push(f.tag);
        if (version === 'HTTP/1.0' && f.lines.some((l) => /^transfer-encoding:/i.test(l))) tags.push('transfer-coding');
        // Without framing fields the body runs to the end of the input (read until close).
        const payload = f.lines.length === 0 && !untilClose ? '' : f.body;
        const m = assemble([`${version} ${status}${sl.reason}`, ...fields], brk, payload, tags);
        return { text: pre + m.text, tags: m.tags };
      }),
    ),
  );

export const responses: fc.Arbitrary<Sample> = fc
  .tuple(fc.array(oneResponse, { minLength: 1, maxLength: 2 }), damage)
  .map(([messages, edits]) => toSample(messages.map((m) => m.text).join(''), edits.length === 0 ? messages[0]!.tags : [], edits));
