// CRLF-terminated lines (start line, field lines, chunk-size lines, trailer fields) found in
// whatever pieces the socket delivers. A line inside one buffer is parsed in place; only a line
// cut by a TLS record or TCP segment boundary is copied, and never past the section's budget.
import { CR, LF } from './chars.js';

/** Line not complete yet: its bytes are kept for the next call. */
export const INCOMPLETE = -1;
/** The line, or the partial line kept so far, is over the budget: refuse without reading on. */
export const OVER_BUDGET = -2;
/** A line ends with LF without CR before it (RFC 9112 §2.2: a bare LF is an error here). */
export const BARE_LF = -3;

export class LineReader {
  /** The line found by the last `next()`: content is `line[start..cr)`, `line[cr]` is CR. */
  line: Buffer = Buffer.alloc(0);
  start = 0;
  cr = 0;
  /** Position in the caller's buffer just after the last line's LF. */
  end = 0;
  /** Copies of the pieces of an unfinished line. */
  private parts: Buffer[] = [];
  private size = 0;

  /** Bytes held from an unfinished line. */
  get pending(): number {
    return this.size;
  }

  /**
   * Looks for the end of a line from `pos`. Returns the position after its LF, or INCOMPLETE
   * (the rest of `buf` is kept), OVER_BUDGET, or BARE_LF. `budget` is how many more bytes the
   * current section may use, counting this line's CRLF.
   */
  next(buf: Buffer, pos: number, budget: number): number {
    const lf = buf.indexOf(LF, pos);
    if (lf === -1) {
      const add = buf.length - pos;
      if (this.size + add > budget) return OVER_BUDGET;
      // A copy: the caller may hand us a buffer it reuses (net.Socket's `onread`).
      this.parts.push(Buffer.from(buf.subarray(pos)));
      this.size += add;
      return INCOMPLETE;
    }
    const used = this.size + lf + 1 - pos;
    if (used > budget) return OVER_BUDGET;
    if (this.size === 0) {
      this.line = buf;
      this.start = pos;
      this.cr = lf - 1;
    } else {
      this.parts.push(buf.subarray(pos, lf + 1));
      this.line = Buffer.concat(this.parts, used);
      this.start = 0;
      this.cr = used - 2;
      this.parts = [];
      this.size = 0;
    }
    this.end = lf + 1;
    if (this.cr < this.start || this.line[this.cr] !== CR) return BARE_LF;
    return lf + 1;
  }

  /** Byte count of this line, CRLF included. */
  get length(): number {
    return this.cr + 2 - this.start;
  }

  clear(): void {
    this.parts = [];
    this.size = 0;
  }
}
