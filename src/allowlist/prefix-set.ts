// An immutable set of IPv4/IPv6 prefixes answering "is this source address inside?" on every raw
// TCP connection (SPEC.md §2 stage 1), before any TLS work is spent on it.
//
// Prefixes are merged (overlapping and adjacent ones) into sorted, disjoint ranges and looked up by
// binary search: O(log n) per connection, whatever the size of AS32934's list.
import { parseAddress, parsePrefixRange } from './address.js';

type Range<T> = [start: T, end: T];

/** Sorts and merges overlapping or adjacent ranges into disjoint ones. */
function merge<T extends number | bigint>(ranges: Range<T>[], succ: (end: T) => T): Range<T>[] {
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: Range<T>[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range[0] <= succ(last[1])) {
      if (range[1] > last[1]) last[1] = range[1];
    } else {
      merged.push([range[0], range[1]]);
    }
  }
  return merged;
}

/** Index of the last start <= value, or -1. */
function floorIndex<T extends number | bigint>(starts: ArrayLike<T>, value: T): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((starts[mid] as T) <= value) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export class PrefixSet {
  static readonly empty = PrefixSet.from([]);

  /** Distinct input prefixes, canonical text, first-seen order. */
  readonly prefixes: readonly string[];
  readonly v4Count: number;
  readonly v6Count: number;
  /** Disjoint ranges after merging (what a lookup searches). */
  readonly rangeCount: number;

  private constructor(
    prefixes: string[],
    v4Count: number,
    private readonly v4Starts: Uint32Array,
    private readonly v4Ends: Uint32Array,
    private readonly v6Starts: readonly bigint[],
    private readonly v6Ends: readonly bigint[],
  ) {
    this.prefixes = Object.freeze(prefixes);
    this.v4Count = v4Count;
    this.v6Count = prefixes.length - v4Count;
    this.rangeCount = v4Starts.length + v6Starts.length;
  }

  /**
   * Builds a set from CIDR strings; a bare address is a host prefix (/32, /128). Throws a
   * TypeError naming the first entry that is not an exact prefix (configuration error).
   */
  static from(cidrs: Iterable<string>): PrefixSet {
    const seen = new Set<string>();
    const v4: Range<number>[] = [];
    const v6: Range<bigint>[] = [];
    for (const raw of cidrs) {
      const text = raw.trim();
      const parsed = parsePrefixRange(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
      if (parsed === undefined) throw new TypeError(`not an IP prefix: "${raw}"`);
      if (seen.has(parsed.text)) continue;
      seen.add(parsed.text);
      if (parsed.family === 4) v4.push([parsed.start, parsed.end]);
      else v6.push([parsed.start, parsed.end]);
    }
    const m4 = merge(v4, (end) => end + 1);
    const m6 = merge(v6, (end) => end + 1n);
    return new PrefixSet(
      [...seen],
      v4.length,
      Uint32Array.from(m4, (r) => r[0]),
      Uint32Array.from(m4, (r) => r[1]),
      m6.map((r) => r[0]),
      m6.map((r) => r[1]),
    );
  }

  get size(): number {
    return this.prefixes.length;
  }

  /** False for anything that does not parse as an address: an unknown source is never allowed. */
  has(ip: string): boolean {
    const address = parseAddress(ip);
    if (address === undefined) return false;
    if (address.family === 4) {
      const i = floorIndex(this.v4Starts, address.value);
      return i !== -1 && address.value <= (this.v4Ends[i] as number);
    }
    const i = floorIndex(this.v6Starts, address.value);
    return i !== -1 && address.value <= (this.v6Ends[i] as bigint);
  }
}
