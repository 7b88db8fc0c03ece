// RPSL (RFC 2622) as a whois server such as RADb answers `-i origin AS32934`: the `route:` and
// `route6:` prefixes, with the maintainers (`mnt-by`) that registered them.
//
// The answer comes from the network and from a registry anyone can write to, so this parser is
// pure, total (never throws) and strict about what it keeps: a value that is not an exact prefix of
// the attribute's family is counted as malformed and skipped, never guessed at.
import { type Family, parsePrefix } from './address.js';

export interface RpslRoute {
  /** Canonical prefix text (`157.240.0.0/17`, `2a03:2880::/32`). */
  readonly prefix: string;
  readonly family: Family;
  /** Upper-case `mnt-by` names of every object that registered this prefix. */
  readonly maintainers: readonly string[];
}

export interface RpslRoutes {
  /** Every distinct valid prefix, before the maintainer filter, first-seen order. */
  readonly routes: readonly RpslRoute[];
  /** Distinct prefixes kept by the maintainer filter, as announced (not aggregated), first-seen order. */
  readonly prefixes: readonly string[];
  readonly v4: number;
  readonly v6: number;
  /** `route:`/`route6:` values that are not an exact prefix of their family. */
  readonly malformed: number;
  /** Valid prefixes seen again in a later object. */
  readonly duplicates: number;
  /** Route objects skipped because their `origin:` is not the queried ASN. */
  readonly otherOrigin: number;
  /** Lines that are neither attributes, continuations nor comments. */
  readonly garbage: number;
  /** Distinct valid prefixes per maintainer, before the filter; `(none)` for objects without mnt-by. */
  readonly perMaintainer: ReadonlyMap<string, number>;
}

export interface RpslOptions {
  /** Keep only prefixes registered by one of these maintainers (case-insensitive); empty: no filter. */
  readonly maintainers?: readonly string[];
  /** When set, keep only objects whose `origin:` is this ASN (case-insensitive). */
  readonly origin?: string;
}

export const NO_MAINTAINER = '(none)';

// RFC 2622 §2: attribute names start with a letter; letters, digits, `-` and `_` follow.
const ATTRIBUTE = /^([A-Za-z][A-Za-z0-9_-]*):(.*)$/;
const ROUTE_FAMILY: Readonly<Record<string, Family>> = { route: 4, route6: 6 };

/** RFC 2622 §2: `#` starts an end-of-line comment anywhere in a value. */
function stripComment(value: string): string {
  const hash = value.indexOf('#');
  return (hash === -1 ? value : value.slice(0, hash)).trim();
}

/** Splits a whois answer into objects of [lower-case name, value] attributes. */
function* objects(text: string): Generator<[string, string][], void, undefined> {
  let current: [string, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.length > 0) yield current;
      current = [];
      continue;
    }
    const first = line[0];
    // `%` lines are server messages (RADb banners, "No entries found"), `#` lines comments.
    if (first === '%' || first === '#') continue;
    const last = current[current.length - 1];
    if (first === ' ' || first === '\t' || first === '+') {
      // RFC 2622 §2: a line starting with space, tab or `+` continues the previous attribute.
      if (last !== undefined) last[1] = `${last[1]} ${stripComment(line.slice(1))}`.trim();
      continue;
    }
    const match = ATTRIBUTE.exec(line);
    current.push(match ? [(match[1] ?? '').toLowerCase(), stripComment(match[2] ?? '')] : ['', line]);
  }
  if (current.length > 0) yield current;
}

export function parseRpsl(text: string, options: RpslOptions = {}): RpslRoutes {
  const origin = options.origin?.trim().toUpperCase();
  const routes = new Map<string, { prefix: string; family: Family; maintainers: Set<string> }>();
  let malformed = 0;
  let duplicates = 0;
  let otherOrigin = 0;
  let garbage = 0;

  for (const attributes of objects(text)) {
    garbage += attributes.filter(([name]) => name === '').length;
    const values = attributes.filter(([name]) => name in ROUTE_FAMILY);
    if (values.length === 0) continue;
    const objectOrigin = attributes.find(([name]) => name === 'origin')?.[1].toUpperCase();
    if (origin !== undefined && objectOrigin !== origin) {
      otherOrigin++;
      continue;
    }
    // `mnt-by` is a list attribute (RFC 2622 §2): comma-separated, possibly repeated.
    const maintainers = attributes
      .filter(([name]) => name === 'mnt-by')
      .flatMap(([, value]) => value.split(/[\s,]+/))
      .filter((name) => name !== '')
      .map((name) => name.toUpperCase());
    if (maintainers.length === 0) maintainers.push(NO_MAINTAINER);

    for (const [name, value] of values) {
      const prefix = parsePrefix(value);
      if (prefix === undefined || prefix.family !== ROUTE_FAMILY[name]) {
        malformed++;
        continue;
      }
      const known = routes.get(prefix.text);
      if (known !== undefined) duplicates++;
      const route = known ?? { prefix: prefix.text, family: prefix.family, maintainers: new Set<string>() };
      for (const m of maintainers) route.maintainers.add(m);
      routes.set(prefix.text, route);
    }
  }

  const all: RpslRoute[] = [...routes.values()].map((r) => ({ ...r, maintainers: [...r.maintainers] }));
  const perMaintainer = new Map<string, number>();
  for (const route of all) {
    for (const m of route.maintainers) perMaintainer.set(m, (perMaintainer.get(m) ?? 0) + 1);
  }
  const kept = selectRoutes(all, options.maintainers ?? []);
  return {
    routes: all,
    prefixes: kept.map((r) => r.prefix),
    v4: kept.filter((r) => r.family === 4).length,
    v6: kept.filter((r) => r.family === 6).length,
    malformed,
    duplicates,
    otherOrigin,
    garbage,
    perMaintainer,
  };
}

/**
 * The maintainer filter (SPEC.md §6): RADb is not authoritative, anyone can register a route with
 * `origin: AS32934` (ISP-hosted Meta caches do), so an operator may keep only Meta's own objects.
 */
export function selectRoutes(routes: readonly RpslRoute[], maintainers: readonly string[]): RpslRoute[] {
  if (maintainers.length === 0) return [...routes];
  const wanted = new Set(maintainers.map((m) => m.trim().toUpperCase()));
  return routes.filter((route) => route.maintainers.some((m) => wanted.has(m)));
}
