import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../../src/allowlist/address.js';
import { PrefixSet } from '../../src/allowlist/prefix-set.js';

const meta = PrefixSet.from(['157.240.0.0/17', '31.13.24.0/21', '2a03:2880::/32', '2620:0:1c00::/40']);

describe('PrefixSet matching', () => {
  it('allows IPv4 addresses inside a prefix, first and last included', () => {
    expect(meta.has('157.240.0.0')).toBe(true);
    expect(meta.has('157.240.12.35')).toBe(true);
    expect(meta.has('157.240.127.255')).toBe(true);
  });

  it('refuses IPv4 addresses just outside a prefix', () => {
    expect(meta.has('157.239.255.255')).toBe(false);
    expect(meta.has('157.240.128.0')).toBe(false);
    expect(meta.has('8.8.8.8')).toBe(false);
  });

  it('allows and refuses IPv6 addresses', () => {
    expect(meta.has('2a03:2880:f12c:83:face:b00c:0:25de')).toBe(true);
    expect(meta.has('2A03:2880::1')).toBe(true);
    expect(meta.has('2620:0:1cff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(meta.has('2a03:2881::1')).toBe(false);
    expect(meta.has('::1')).toBe(false);
  });

  it('matches an IPv4-mapped IPv6 source as IPv4, in every spelling', () => {
    expect(meta.has('::ffff:157.240.1.1')).toBe(true);
    expect(meta.has('::FFFF:157.240.1.1')).toBe(true);
    expect(meta.has('0:0:0:0:0:ffff:157.240.1.1')).toBe(true);
    expect(meta.has('::ffff:9df0:101')).toBe(true);
    expect(meta.has('::ffff:8.8.8.8')).toBe(false);
  });

  it('does not let an IPv6 prefix cover IPv4-mapped addresses', () => {
    const everything6 = PrefixSet.from(['::/0']);
    expect(everything6.has('2001:db8::1')).toBe(true);
    expect(everything6.has('::ffff:192.0.2.1')).toBe(false);
  });

  it('refuses addresses in ambiguous or non-canonical notations', () => {
    const set = PrefixSet.from(['10.0.0.0/8', '8.0.0.0/8']);
    for (const weird of ['010.0.0.1', '10.1', '0x0a.0.0.1', '167772161', '10.0.0.1 ', '10.0.0.256', '', 'localhost']) {
      expect(set.has(weird), weird).toBe(false);
    }
    expect(PrefixSet.from(['fe80::/10']).has('fe80::1%eth0')).toBe(false);
    expect(PrefixSet.from(['::ffff:0.0.0.0/96']).has('::ffff:010.0.0.1')).toBe(false);
  });

  it('matches nothing when empty', () => {
    expect(PrefixSet.empty.has('1.2.3.4')).toBe(false);
    expect(PrefixSet.empty.has('::1')).toBe(false);
    expect(PrefixSet.empty.size).toBe(0);
  });
});

describe('PrefixSet building', () => {
  it('merges overlapping and adjacent prefixes but counts distinct inputs', () => {
    const set = PrefixSet.from(['69.63.176.0/21', '69.63.184.0/21', '185.60.216.0/22', '185.60.218.0/24', '185.60.218.0/24']);
    expect(set.size).toBe(4);
    expect(set.v4Count).toBe(4);
    expect(set.rangeCount).toBe(2);
    expect(set.has('69.63.183.255')).toBe(true);
    expect(set.has('69.63.184.0')).toBe(true);
    expect(set.has('69.63.192.0')).toBe(false);
  });

  it('merges adjacent IPv6 prefixes', () => {
    const set = PrefixSet.from(['2001:db8::/33', '2001:db8:8000::/33']);
    expect(set.rangeCount).toBe(1);
    expect(set.v6Count).toBe(2);
    expect(set.has('2001:db8:ffff::1')).toBe(true);
  });

  it('handles the whole address space', () => {
    const set = PrefixSet.from(['0.0.0.0/0', '::/0']);
    expect(set.has('0.0.0.0')).toBe(true);
    expect(set.has('255.255.255.255')).toBe(true);
    expect(set.has('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
  });

  it('takes a bare address as a host prefix', () => {
    const set = PrefixSet.from(['203.0.113.7', '2001:db8::7']);
    expect(set.prefixes).toEqual(['203.0.113.7/32', '2001:db8::7/128']);
    expect(set.has('203.0.113.7')).toBe(true);
    expect(set.has('203.0.113.8')).toBe(false);
  });

  it('throws on an entry that is not an exact prefix, naming it', () => {
    expect(() => PrefixSet.from(['10.0.0.0/8', '10.0.0.1/8'])).toThrow(/"10\.0\.0\.1\/8"/);
    expect(() => PrefixSet.from(['10.0.0.0/33'])).toThrow(TypeError);
    expect(() => PrefixSet.from(['meta'])).toThrow(TypeError);
  });
});

describe('parsePrefix and parseAddress', () => {
  it('canonicalises IPv6 prefixes to RFC 5952 text', () => {
    expect(parsePrefix('2A03:2880:F000:0000::/36')?.text).toBe('2a03:2880:f000::/36');
    expect(parsePrefix(' 157.240.0.0/17 ')?.text).toBe('157.240.0.0/17');
  });

  it('rejects prefix lengths with leading zeros or out of range', () => {
    for (const bad of ['10.0.0.0/08', '10.0.0.0/', '10.0.0.0/-1', '2001:db8::/129', '10.0.0.0']) {
      expect(parsePrefix(bad), bad).toBeUndefined();
    }
  });

  it('reads a mapped IPv6 prefix as the IPv4 prefix it covers', () => {
    expect(parsePrefix('::ffff:10.0.0.0/104')).toEqual({ family: 4, length: 8, text: '10.0.0.0/8' });
  });

  it('parses addresses exactly as ipaddr.js does for canonical IPv4 text', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const ours = parseAddress(ip);
        const bytes = ipaddr.IPv4.parse(ip).octets;
        expect(ours).toEqual({ family: 4, value: ((bytes[0]! << 24) >>> 0) + (bytes[1]! << 16) + (bytes[2]! << 8) + bytes[3]! });
      }),
    );
  });
});

describe('PrefixSet against a linear scan', () => {
  it('agrees with ipaddr.js match() on random prefixes and addresses', () => {
    const prefix4 = fc.tuple(fc.ipV4(), fc.integer({ min: 8, max: 32 })).map(([ip, len]) => {
      return `${ipaddr.IPv4.networkAddressFromCIDR(`${ip}/${len}`).toString()}/${len}`;
    });
    const prefix6 = fc.tuple(fc.ipV6(), fc.integer({ min: 16, max: 128 })).map(([ip, len]) => {
      return `${ipaddr.IPv6.networkAddressFromCIDR(`${ip}/${len}`).toRFC5952String()}/${len}`;
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(prefix4, prefix6), { maxLength: 40 }), fc.array(fc.oneof(fc.ipV4(), fc.ipV6()), { maxLength: 40 }), (cidrs, ips) => {
        const set = PrefixSet.from(cidrs);
        // Our semantics: mapped IPv6 prefixes and addresses are IPv4 ones.
        const ranges = cidrs.map((c): [ipaddr.IPv4 | ipaddr.IPv6, number] => {
          const [net, len] = ipaddr.parseCIDR(c);
          const mapped = net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && len >= 96;
          return mapped ? [(net as ipaddr.IPv6).toIPv4Address(), len - 96] : [net, len];
        });
        // Each prefix's first and last address, plus the random ones (mostly misses).
        const edges = cidrs.flatMap((c) => {
          const kind = c.includes(':') ? ipaddr.IPv6 : ipaddr.IPv4;
          return [kind.networkAddressFromCIDR(c).toString(), kind.broadcastAddressFromCIDR(c).toString()];
        });
        for (const ip of [...edges, ...ips]) {
          let addr = ipaddr.parse(ip);
          if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
          const expected = ranges.some(([net, len]) => net.kind() === addr.kind() && addr.match(net, len));
          expect(set.has(ip), `${ip} in ${cidrs.join(' ')}`).toBe(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});
