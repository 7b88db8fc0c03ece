import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRpsl, selectRoutes } from '../../src/allowlist/rpsl.js';
import { RADB_FIXTURE } from '../helpers/fake-whois.js';

const FIXTURE_PREFIXES = [
  '31.13.24.0/21',
  '31.13.64.0/18',
  '157.240.0.0/17',
  '2a03:2880::/32',
  '2a03:2880:f000::/36',
  '102.132.96.0/20',
  '179.60.192.0/22',
  '185.60.216.0/22',
  '185.60.218.0/24',
  '69.63.176.0/21',
  '69.63.184.0/21',
  '204.15.20.0/22',
  '2620:0:1c00::/40',
  '45.64.40.0/22',
];

describe('parseRpsl on a RADb answer', () => {
  const result = parseRpsl(RADB_FIXTURE, { origin: 'AS32934' });

  it('keeps each distinct valid prefix once, as announced, in first-seen order', () => {
    expect(result.prefixes).toEqual(FIXTURE_PREFIXES);
    expect(result.v4).toBe(11);
    expect(result.v6).toBe(3);
  });

  it('counts malformed prefixes: bad octet, host bits set, bad hex, wrong family', () => {
    expect(result.malformed).toBe(4);
  });

  it('counts duplicates and objects of another origin', () => {
    expect(result.duplicates).toBe(2);
    expect(result.otherOrigin).toBe(1);
    expect(result.garbage).toBe(1);
  });

  it('counts distinct prefixes per maintainer, objects without mnt-by under (none)', () => {
    expect(Object.fromEntries(result.perMaintainer)).toEqual({
      'MAINT-AS32934': 12,
      'MAINT-AS9498': 1,
      'MAINT-BHARTI-IN': 1,
      'MAINT-AFRINIC-FB': 1,
      'MAINT-AS27699': 1,
      '(none)': 1,
    });
  });

  it('keeps only objects of the listed maintainers, case-insensitively', () => {
    const filtered = parseRpsl(RADB_FIXTURE, { origin: 'AS32934', maintainers: ['maint-as32934'] });
    expect(filtered.prefixes).toEqual(FIXTURE_PREFIXES.filter((p) => p !== '179.60.192.0/22' && p !== '204.15.20.0/22'));
    expect(filtered.routes).toHaveLength(14);
  });

  it('keeps a prefix registered by two maintainers when either is listed', () => {
    const isp = parseRpsl(RADB_FIXTURE, { maintainers: ['MAINT-BHARTI-IN'] });
    expect(isp.prefixes).toEqual(['157.240.0.0/17']);
    expect(selectRoutes(isp.routes, ['MAINT-AS9498']).map((r) => r.prefix)).toEqual(['157.240.0.0/17']);
  });

  it('without an origin filter keeps every object, like grep ^route', () => {
    expect(parseRpsl(RADB_FIXTURE).prefixes).toContain('198.51.100.0/24');
  });
});

describe('parseRpsl edge cases', () => {
  it('reads CRLF line endings and upper-case attribute names', () => {
    const text = 'ROUTE6: 2001:DB8::/32\r\nMNT-BY: MAINT-X\r\n\r\nroute: 192.0.2.0/24\r\n';
    const result = parseRpsl(text);
    expect(result.prefixes).toEqual(['2001:db8::/32', '192.0.2.0/24']);
    expect(result.routes[0]?.maintainers).toEqual(['MAINT-X']);
  });

  it('attaches continuation lines (space, tab, +) to the previous attribute', () => {
    const text = 'route: 192.0.2.0/24\nmnt-by: MAINT-A,\n MAINT-B\n\tMAINT-C # comment\n+MAINT-D\n';
    expect(parseRpsl(text).routes[0]?.maintainers).toEqual(['MAINT-A', 'MAINT-B', 'MAINT-C', 'MAINT-D']);
  });

  it('treats % and # lines as comments that do not end an object', () => {
    const text = 'route: 192.0.2.0/24\n% server note\n# comment\nmnt-by: MAINT-A\n';
    expect(parseRpsl(text, { maintainers: ['MAINT-A'] }).prefixes).toEqual(['192.0.2.0/24']);
  });

  it('strips trailing comments from values', () => {
    expect(parseRpsl('route: 192.0.2.0/24# no space before the hash\n').prefixes).toEqual(['192.0.2.0/24']);
  });

  it('treats a whitespace-only line as the end of an object', () => {
    const text = 'route: 192.0.2.0/24\nmnt-by: MAINT-A\n   \nroute: 198.51.100.0/24\n';
    expect(parseRpsl(text, { maintainers: ['MAINT-A'] }).prefixes).toEqual(['192.0.2.0/24']);
  });

  it('does not read route-set or other attributes as routes', () => {
    const text = 'route-set: RS-FB\nmembers: 192.0.2.0/24\n\nroute6-x: 2001:db8::/32\n';
    expect(parseRpsl(text).prefixes).toEqual([]);
  });

  it('counts a value with extra words as malformed', () => {
    const result = parseRpsl('route: 192.0.2.0/24 198.51.100.0/24\n');
    expect(result.prefixes).toEqual([]);
    expect(result.malformed).toBe(1);
  });

  it('answers nothing for an empty answer or a "No entries found" banner', () => {
    expect(parseRpsl('').prefixes).toEqual([]);
    expect(parseRpsl('% No entries found for the selected source(s).\n').prefixes).toEqual([]);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const result = parseRpsl(text);
        expect(result.prefixes.length).toBe(result.v4 + result.v6);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on RPSL-shaped garbage', () => {
    const line = fc.oneof(
      fc.constantFrom('', ' ', '+', '#', '%', 'route:', 'route6:', 'mnt-by:', 'origin: AS32934', '::', '/'),
      fc.string({ maxLength: 30 }).map((s) => `route: ${s}`),
      fc.string({ maxLength: 30 }).map((s) => `route6: ${s}`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        expect(() => parseRpsl(lines.join('\n'), { origin: 'AS32934', maintainers: ['X'] })).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
