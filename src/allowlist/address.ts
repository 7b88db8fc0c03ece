// Strict parsing of source addresses and IP prefixes, shared by the allowlist (PrefixSet, RPSL,
// cacheFile) and by configuration checks of extraCidrs / trustedProxies.
//
// Strict on purpose: a notation that one parser reads differently from another (inet_aton's octal
// and hex forms, zone ids, host bits under a mask) is how an address gets allowed under a false name.
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

/** A parsed address: IPv4 as an unsigned 32-bit number, IPv6 as a 128-bit bigint. */
export type Address = { readonly family: 4; readonly value: number } | { readonly family: 6; readonly value: bigint };

export interface Prefix {
  readonly family: Family;
  readonly length: number;
  /** Canonical text: dotted quad, or RFC 5952 lowercase IPv6. */
  readonly text: string;
}

export interface ParsedPrefix<T> extends Prefix {
  readonly start: T;
  readonly end: T;
}

export type AnyParsedPrefix = (ParsedPrefix<number> & { family: 4 }) | (ParsedPrefix<bigint> & { family: 6 });

const MAPPED_PREFIX = '::ffff:';

/**
 * Strict dotted quad: exactly four decimal octets, no leading zeros. inet_aton-style forms
 * (`010.1.1.1` as octal, `0x7f.1`, `2130706433`) are refused: a parser that reads them differently
 * from the kernel or the load balancer would let an address be allowed under another name.
 */
function parseV4(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57 || (digits === 1 && octet === 0)) return undefined;
    octet = octet * 10 + (c - 48);
    digits++;
    if (octet > 255) return undefined;
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : undefined;
}

function v6Parts(text: string): number[] | undefined {
  // Zone ids (`fe80::1%eth0`) never come from a remote peer; an embedded IPv4 must be strict too.
  if (text.includes('%')) return undefined;
  const dot = text.indexOf('.');
  if (dot !== -1 && parseV4(text.slice(text.lastIndexOf(':') + 1)) === undefined) return undefined;
  try {
    return ipaddr.IPv6.parse(text).parts;
  } catch {
    return undefined;
  }
}

function partsToBigInt(parts: readonly number[]): bigint {
  let value = 0n;
  for (const part of parts) value = (value << 16n) | BigInt(part);
  return value;
}

/**
 * Parses a single address. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack `::`
 * listener reports for IPv4 peers) is returned as IPv4, so it matches IPv4 prefixes (SPEC.md §6).
 */
export function parseAddress(text: string): Address | undefined {
  if (!text.includes(':')) {
    const value = parseV4(text);
    return value === undefined ? undefined : { family: 4, value };
  }
  // Fast path for the common dual-stack form, without a regex-based parse.
  if (text.length > MAPPED_PREFIX.length && text.slice(0, MAPPED_PREFIX.length).toLowerCase() === MAPPED_PREFIX) {
    const value = parseV4(text.slice(MAPPED_PREFIX.length));
    if (value !== undefined) return { family: 4, value };
  }
  const parts = v6Parts(text);
  if (parts === undefined) return undefined;
  if (parts.slice(0, 6).every((p, i) => p === (i === 5 ? 0xffff : 0))) {
    return { family: 4, value: (parts[6] ?? 0) * 65536 + (parts[7] ?? 0) };
  }
  return { family: 6, value: partsToBigInt(parts) };
}

function v4Text(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function v6Text(value: bigint): string {
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  return new ipaddr.IPv6(parts).toRFC5952String();
}

/** Parses `address/length` into its first and last address; undefined unless an exact prefix. */
export function parsePrefixRange(text: string): AnyParsedPrefix | undefined {
  const slash = text.indexOf('/');
  const lengthText = text.slice(slash + 1);
  if (slash === -1 || !/^(0|[1-9]\d{0,2})$/.test(lengthText)) return undefined;
  const address = parseAddress(text.slice(0, slash));
  if (address === undefined) return undefined;
  let length = Number(lengthText);
  if (address.family === 4) {
    // A mapped IPv6 prefix (`::ffff:10.0.0.0/104`) is the IPv4 prefix it covers.
    if (text.includes(':')) length -= 96;
    if (length < 0 || length > 32) return undefined;
    const size = 2 ** (32 - length);
    // Host bits set (`10.0.0.1/8`) is not a prefix (RFC 4632 §3.1): refuse rather than guess.
    if (address.value % size !== 0) return undefined;
    const start = address.value;
    return { family: 4, length, start, end: start + size - 1, text: `${v4Text(start)}/${length}` };
  }
  if (length > 128) return undefined;
  const hostMask = (1n << BigInt(128 - length)) - 1n;
  if ((address.value & hostMask) !== 0n) return undefined;
  const start = address.value;
  return { family: 6, length, start, end: start | hostMask, text: `${v6Text(start)}/${length}` };
}

/** Parses `address/length` strictly; undefined for anything that is not an exact prefix. */
export function parsePrefix(text: string): Prefix | undefined {
  const parsed = parsePrefixRange(text.trim());
  return parsed === undefined ? undefined : { family: parsed.family, length: parsed.length, text: parsed.text };
}
