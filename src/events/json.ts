// A validating JSON cursor over raw bytes that reports byte offsets (RFC 8259). It accepts
// exactly what `JSON.parse(bytes.toString('utf8'))` accepts (fuzzed against it in
// test/events/json.test.ts) and never builds values it is not asked for: the gateway reads a
// handful of routing keys and cuts the rest as raw slices, so Meta's `\u00e9`, `\/` and number
// spellings reach each destination exactly as sent. Why not jsonc-parser's visitor:
// docs/decisions/0003-event-scanner.md.
//
// Bytes ≥ 0x80 are accepted inside strings without UTF-8 validation, as JSON.parse does after a
// replacing UTF-8 decode: structure never depends on them (every structural byte is ASCII).

/** Thrown (never an Error: no stack to capture) on the first byte that is not valid JSON. */
export const INVALID: unique symbol = Symbol('invalid JSON');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const IN_ARRAY = 1;
const IN_OBJECT = 2;

// `"\/bfnrt` after a backslash; `u` is handled apart (four hex digits).
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

// Bytes that end the fast path inside a string: `"`, `\\` and the control characters JSON forbids.
const STRING_STOP = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) STRING_STOP[b] = 1;
STRING_STOP[0x22] = 1;
STRING_STOP[0x5c] = 1;

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

function fail(): never {
  throw INVALID;
}

export class JsonCursor {
  pos = 0;
  /** Offsets of the last key read by nextMember(): the quotes included. */
  keyStart = 0;
  keyEnd = 0;
  /** Whether the last string scanned held a backslash escape. */
  escaped = false;
  private keyEscaped = false;
  private stack = new Uint8Array(64);

  constructor(readonly buf: Buffer) {}

  /** Skips JSON whitespace and returns the next byte, or -1 at the end. */
  peek(): number {
    const { buf } = this;
    let p = this.pos;
    while (p < buf.length) {
      const b = buf[p]!;
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
      p++;
    }
    this.pos = p;
    return p < buf.length ? buf[p]! : -1;
  }

  /** After the top-level value: only whitespace may follow (trailing garbage is invalid). */
  end(): void {
    if (this.peek() !== -1) fail();
  }

  /** At `{`: steps inside. Then `for (let first = true; c.nextMember(first); first = false)`. */
  enterObject(): void {
    if (this.peek() !== OPEN_BRACE) fail();
    this.pos++;
  }

  /** Reads `,"key":` (or the first `"key":`), leaving the cursor on the value; false at `}`. */
  nextMember(first: boolean): boolean {
    let b = this.peek();
    if (b === CLOSE_BRACE) {
      this.pos++;
      return false;
    }
    if (!first) {
      if (b !== COMMA) fail();
      this.pos++;
      b = this.peek();
    }
    if (b !== QUOTE) fail();
    this.keyStart = this.pos;
    this.string();
    this.keyEnd = this.pos;
    this.keyEscaped = this.escaped;
    if (this.peek() !== COLON) fail();
    this.pos++;
    this.peek();
    return true;
  }

  /** Whether the last key is `name` (ASCII), escapes decoded as JSON.parse would. */
  keyIs(name: Buffer): boolean {
    const { buf, keyStart, keyEnd } = this;
    if (this.keyEscaped) return this.decode(keyStart, keyEnd, true) === name.toString('latin1');
    if (keyEnd - keyStart - 2 !== name.length) return false;
    for (let i = 0; i < name.length; i++) if (buf[keyStart + 1 + i] !== name[i]) return false;
    return true;
  }

  /** At `[`: steps inside. Then `for (let first = true; c.nextElement(first); first = false)`. */
  enterArray(): void {
    if (this.peek() !== OPEN_BRACKET) fail();
    this.pos++;
  }

  /** Moves onto the next element; false at `]`. */
  nextElement(first: boolean): boolean {
    const b = this.peek();
    if (b === CLOSE_BRACKET) {
      this.pos++;
      return false;
    }
    if (!first) {
      if (b !== COMMA) fail();
      this.pos++;
      if (this.peek() === CLOSE_BRACKET) fail(); // trailing comma
    }
    return true;
  }

  /** At `"`: validates the string and moves past it. */
  string(): void {
    const { buf } = this;
    const len = buf.length;
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      while (p < len && STRING_STOP[buf[p]!] === 0) p++;
      if (p >= len) fail();
      const b = buf[p]!;
      if (b === QUOTE) break;
      if (b === BACKSLASH) {
        escaped = true;
        const e = p + 1 < len ? buf[p + 1]! : fail();
        if (SIMPLE_ESCAPE[e] === 1) p += 2;
        else if (e === 0x75 && p + 5 < len && HEX[buf[p + 2]!] && HEX[buf[p + 3]!] && HEX[buf[p + 4]!] && HEX[buf[p + 5]!]) p += 6;
        else fail();
      } else fail(); // a control character
    }
    this.escaped = escaped;
    this.pos = p + 1;
  }

  /** At a string value: its decoded text; anything else is invalid here. */
  stringValue(): string {
    if (this.peek() !== QUOTE) fail();
    const start = this.pos;
    this.string();
    return this.decode(start, this.pos, this.escaped);
  }

  /** The text of the string token at [start, end), quotes included. */
  decode(start: number, end: number, escaped: boolean): string {
    // A string without escapes is its bytes; with escapes, JSON.parse is the reference decoder.
    const raw = this.buf.toString('utf8', start, end);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  private number(): void {
    const { buf } = this;
    let p = this.pos;
    if (buf[p] === 0x2d) p++;
    if (buf[p] === 0x30) p++;
    else if (p < buf.length && buf[p]! >= 0x31 && buf[p]! <= 0x39) while (p < buf.length && isDigit(buf[p]!)) p++;
    else fail();
    if (buf[p] === 0x2e) {
      p++;
      if (!(p < buf.length && isDigit(buf[p]!))) fail();
      while (p < buf.length && isDigit(buf[p]!)) p++;
    }
    if (buf[p] === 0x65 || buf[p] === 0x45) {
      p++;
      if (buf[p] === 0x2b || buf[p] === 0x2d) p++;
      if (!(p < buf.length && isDigit(buf[p]!))) fail();
      while (p < buf.length && isDigit(buf[p]!)) p++;
    }
    this.pos = p;
  }

  private literal(word: string): void {
    const { buf } = this;
    for (let i = 0; i < word.length; i++) if (buf[this.pos + i] !== word.charCodeAt(i)) fail();
    this.pos += word.length;
  }

  /** Validates one value of any kind and moves past it. Iterative: nesting depth is bounded by
   *  the body size, never by the call stack. */
  skipValue(): void {
    let depth = 0;
    for (;;) {
      // A value starts here.
      const b = this.peek();
      let closed = true;
      if (b === QUOTE) this.string();
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        this.pos++;
        const close = b === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
        if (this.peek() === close) this.pos++;
        else {
          this.push(depth++, b === OPEN_BRACE ? IN_OBJECT : IN_ARRAY);
          if (b === OPEN_BRACE) this.memberKey();
          closed = false;
        }
      } else if (b === 0x2d || isDigit(b)) this.number();
      else if (b === 0x74) this.literal('true');
      else if (b === 0x66) this.literal('false');
      else if (b === 0x6e) this.literal('null');
      else fail();
      if (!closed) continue;
      // After a complete value: `,` (next value), or the closing bracket of its container(s).
      for (;;) {
        if (depth === 0) return;
        const kind = this.stack[depth - 1]!;
        const next = this.peek();
        this.pos++;
        if (next === COMMA) {
          if (kind === IN_OBJECT) this.memberKey();
          break;
        }
        if (next !== (kind === IN_OBJECT ? CLOSE_BRACE : CLOSE_BRACKET)) fail();
        depth--;
      }
    }
  }

  /** Inside an object, at a member: `"key" :`. */
  private memberKey(): void {
    if (this.peek() !== QUOTE) fail();
    this.string();
    if (this.peek() !== COLON) fail();
    this.pos++;
  }

  private push(depth: number, kind: number): void {
    if (depth === this.stack.length) {
      const grown = new Uint8Array(this.stack.length * 2);
      grown.set(this.stack);
      this.stack = grown;
    }
    this.stack[depth] = kind;
  }
}

/** Whether `buf` is one valid JSON text (the oracle-tested core, exposed for tests and tools). */
export function isValidJson(buf: Buffer): boolean {
  const c = new JsonCursor(buf);
  try {
    c.skipValue();
    c.end();
    return true;
  } catch (err) {
    if (err === INVALID) return false;
    throw err;
  }
}
