// The hand-written cursor against JSON.parse as the oracle (docs/decisions/0003): it must accept
// exactly what `JSON.parse(bytes.toString('utf8'))` accepts, on valid and invalid input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidJson } from '../../src/events/json.js';
import { metaJson } from '../helpers/meta-payloads.mjs';

function oracle(buf: Buffer): boolean {
  try {
    JSON.parse(buf.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

function agrees(buf: Buffer): true {
  expect(isValidJson(buf), JSON.stringify(buf.toString('latin1').slice(0, 200))).toBe(oracle(buf));
  return true;
}

// Characters that make JSON interesting: structure, escapes, number parts, literals' letters,
// whitespace JSON allows and some it does not, a control character, non-ASCII.
const JSONISH = ['{', '}', '[', ']', ',', ':', '"', '\\', 'u', 'a', 'F', '0', '1', '9', 'e', 'E', '-', '+', '.', 't', 'r', 'n', 'l', 'f', 's', ' ', '\n', '\t', '\v', '\u00a0', '\u0001', '/', 'b', 'é', '\u2028', '😀'];

describe('JSON cursor, against JSON.parse', () => {
  it('accepts every JSON text JSON.stringify writes, with Meta\'s escaping too', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(isValidJson(Buffer.from(JSON.stringify(value)))).toBe(true);
        expect(isValidJson(Buffer.from(metaJson(value as never)))).toBe(true);
        expect(isValidJson(Buffer.from(JSON.stringify(value, null, '\t') + '\r\n'))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees on valid JSON with one character inserted, deleted or replaced', () => {
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...JSONISH))
      .map(([text, at, op, ch]) => {
        const i = text.length === 0 ? 0 : at % text.length;
        if (op === 'insert') return text.slice(0, i) + ch + text.slice(i);
        if (op === 'delete') return text.slice(0, i) + text.slice(i + 1);
        return text.slice(0, i) + ch + text.slice(i + 1);
      });
    fc.assert(fc.property(mutated, (text) => agrees(Buffer.from(text))), { numRuns: 3000 });
  });

  it('agrees on strings drawn from JSON\'s own alphabet', () => {
    const soup = fc.array(fc.constantFrom(...JSONISH), { maxLength: 40 }).map((a) => a.join(''));
    fc.assert(fc.property(soup, (text) => agrees(Buffer.from(text))), { numRuns: 5000 });
  });

  it('agrees on arbitrary bytes, invalid UTF-8 included', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => agrees(Buffer.from(bytes))), { numRuns: 3000 });
    fc.assert(
      fc.property(fc.json(), fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.nat(), (text, bytes, at) => {
        const b = Buffer.from(text);
        const i = at % (b.length + 1);
        return agrees(Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i)]));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on every escape, valid or not', () => {
    for (let c = 0; c < 128; c++) agrees(Buffer.from(`"a\\${String.fromCharCode(c)}b"`));
    for (const u of ['0000', '00e9', 'D83D', 'DE00', 'd83d\\ude00', 'FFFF', '12', '12g4', 'GGGG', '']) agrees(Buffer.from(`"\\u${u}"`));
    for (let c = 0; c < 0x20; c++) agrees(Buffer.from(`"a${String.fromCharCode(c)}b"`));
    agrees(Buffer.from('"\\"'));
    agrees(Buffer.from('"\\\\"'));
  });

  it('agrees on number edge cases', () => {
    const numbers = ['0', '-0', '01', '-01', '1.', '.1', '1.0e3', '1e', '1e+', '1E-2', '-', '+1', '1.5e+10', '0x10', '00', '1_0', 'Infinity', 'NaN', '-0.0E+0', '123456789012345678901234567890'];
    for (const n of numbers) {
      agrees(Buffer.from(n));
      agrees(Buffer.from(`[${n}]`));
      agrees(Buffer.from(`{"n":${n}}`));
    }
  });

  it('accepts deep nesting without using the call stack, as JSON.parse does', () => {
    for (const depth of [1000, 100_000]) {
      const deep = Buffer.from('['.repeat(depth) + ']'.repeat(depth));
      agrees(deep);
      expect(isValidJson(deep)).toBe(true);
      expect(isValidJson(Buffer.from('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)))).toBe(true);
      expect(isValidJson(Buffer.from('['.repeat(depth) + ']'.repeat(depth - 1)))).toBe(false);
    }
  });

  it('accepts a huge string and refuses it unterminated', () => {
    const big = 'x\\u00e9\\/'.repeat(400_000);
    expect(isValidJson(Buffer.from(`{"text":"${big}"}`))).toBe(true);
    expect(isValidJson(Buffer.from(`{"text":"${big}}`))).toBe(false);
  });

  it('accepts duplicate keys, as JSON.parse does (the notification reader decides what they mean)', () => {
    agrees(Buffer.from('{"id":"1","id":"2"}'));
    expect(isValidJson(Buffer.from('{"id":"1","id":"2"}'))).toBe(true);
  });

  it('refuses trailing garbage, comments, trailing commas and an empty body', () => {
    for (const text of ['{} {}', '{}x', '{}\u0000', '{"a":1,}', '[1,]', '/*c*/{}', '{}//c', "{'a':1}", '', '   ', '\ufeff{}']) {
      expect(isValidJson(Buffer.from(text)), text).toBe(false);
      agrees(Buffer.from(text));
    }
    expect(isValidJson(Buffer.from(' {} \r\n\t'))).toBe(true);
  });
});
