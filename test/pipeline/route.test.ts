// Stage 4: optional host + longest path prefix on segment boundaries, and the prefix rewrite
// to the upstream's path (SPEC.md §2).
import { describe, it, expect } from 'vitest';
import { createRouter, type Routed } from '../../src/pipeline/route.js';
import { isRefusal, type Refusal } from '../../src/refusal.js';
import type { AppConfig } from '../../src/config/load.js';

/** An app as the loader hands it over: host lower-cased, '' for the root path and root upstream. */
function app(name: string, path: string, upstream: string, host?: string): AppConfig {
  const url = new URL(upstream);
  return {
    name,
    file: `/config/apps/${name}.yaml`,
    host: host?.toLowerCase(),
    path: path === '/' ? '' : path,
    upstream: url.href,
    upstreamOrigin: url.origin,
    upstreamPath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
    secrets: [Buffer.from('secret')],
    verifyToken: undefined,
    dedupe: { enabled: false, ttlSeconds: 129_600, store: 'memory' },
    tenants: [],
    fanOut: [],
    tenantsDir: undefined,
  };
}

function routed(result: Routed | Refusal): Routed {
  if (isRefusal(result)) throw new Error(`expected a route, got ${result.reason}`);
  return result;
}

const shop = app('shop', '/webhooks/shop', 'http://127.0.0.1:3000/hook');
const webhooks = app('webhooks', '/webhooks', 'http://127.0.0.1:3001/');

describe('route: matching', () => {
  const route = createRouter([webhooks, shop]);

  it('picks the longest matching prefix', () => {
    expect(routed(route('hooks.example.com', '/webhooks/shop/x')).app.name).toBe('shop');
    expect(routed(route('hooks.example.com', '/webhooks/other')).app.name).toBe('webhooks');
  });

  it('picks the longest prefix whatever the order of the apps', () => {
    expect(routed(createRouter([shop, webhooks])('h', '/webhooks/shop/x')).app.name).toBe('shop');
  });

  it('matches the prefix itself', () => {
    expect(routed(route('h', '/webhooks/shop')).app.name).toBe('shop');
  });

  it('matches only on segment boundaries (/webhooks/shopping is not /webhooks/shop)', () => {
    expect(routed(route('h', '/webhooks/shopping')).app.name).toBe('webhooks');
    expect(createRouter([shop])('h', '/webhooks/shopping')).toMatchObject({ reason: 'route_not_found', status: 404 });
  });

  it('refuses a path above every prefix with route_not_found', () => {
    expect(createRouter([shop])('h', '/webhooks')).toMatchObject({ stage: 'route', reason: 'route_not_found', status: 404 });
  });

  it('ignores the query when matching', () => {
    expect(routed(createRouter([shop])('h', '/webhooks/shop?hub.mode=subscribe&x=/webhooks/other')).app.name).toBe('shop');
  });

  it('routes a root app to every path', () => {
    const root = app('root', '/', 'http://127.0.0.1:3000/');
    expect(routed(createRouter([root])('h', '/anything/at/all')).app.name).toBe('root');
    expect(routed(createRouter([root, shop])('h', '/webhooks/shop/x')).app.name).toBe('shop');
  });
});

describe('route: host', () => {
  const onHost = app('onhost', '/webhooks/shop', 'http://127.0.0.1:3000/hook', 'hooks.example.com');

  it('matches the host case-insensitively', () => {
    expect(routed(createRouter([onHost])('HOOKS.Example.COM', '/webhooks/shop')).app.name).toBe('onhost');
  });

  it('ignores the port of the Host header', () => {
    expect(routed(createRouter([onHost])('hooks.example.com:8443', '/webhooks/shop')).app.name).toBe('onhost');
  });

  it('does not route another host to a host-specific app', () => {
    expect(createRouter([onHost])('evil.example.com', '/webhooks/shop')).toMatchObject({ reason: 'route_not_found' });
  });

  it('does not route a request without Host to a host-specific app', () => {
    expect(createRouter([onHost])(undefined, '/webhooks/shop')).toMatchObject({ reason: 'route_not_found' });
  });

  it('does not match a host that only ends with the configured one', () => {
    expect(createRouter([onHost])('evilhooks.example.com', '/webhooks/shop')).toMatchObject({ reason: 'route_not_found' });
  });

  it('matches an IPv6 literal host, with and without a port', () => {
    const v6 = app('v6', '/webhooks/shop', 'http://127.0.0.1:3000/hook', '[2001:DB8::1]');
    const route = createRouter([v6]);
    expect(routed(route('[2001:db8::1]:8443', '/webhooks/shop')).app.name).toBe('v6');
    expect(routed(route('[2001:db8::1]', '/webhooks/shop')).app.name).toBe('v6');
    expect(route('[2001:db8::2]:8443', '/webhooks/shop')).toMatchObject({ reason: 'route_not_found' });
  });

  it('prefers a host-specific app over a host-less one at the same path', () => {
    const anyHost = app('anyhost', '/webhooks/shop', 'http://127.0.0.1:3001/hook');
    expect(routed(createRouter([anyHost, onHost])('hooks.example.com', '/webhooks/shop/x')).app.name).toBe('onhost');
    expect(routed(createRouter([onHost, anyHost])('hooks.example.com', '/webhooks/shop/x')).app.name).toBe('onhost');
    expect(routed(createRouter([anyHost, onHost])('other.example.com', '/webhooks/shop/x')).app.name).toBe('anyhost');
  });
});

describe('route: rewrite to the upstream path', () => {
  it('replaces the matched prefix by the upstream path and keeps the query (SPEC §2 example)', () => {
    expect(routed(createRouter([shop])('h', '/webhooks/shop/x?y=1')).upstreamUrl).toBe('/hook/x?y=1');
  });

  it('maps the prefix itself to the upstream path', () => {
    expect(routed(createRouter([shop])('h', '/webhooks/shop')).upstreamUrl).toBe('/hook');
    expect(routed(createRouter([shop])('h', '/webhooks/shop?hub.mode=subscribe&hub.challenge=1')).upstreamUrl).toBe(
      '/hook?hub.mode=subscribe&hub.challenge=1',
    );
  });

  it('maps onto an upstream at its root path', () => {
    const route = createRouter([app('shop', '/webhooks/shop', 'http://127.0.0.1:3000')]);
    expect(routed(route('h', '/webhooks/shop/x?y=1')).upstreamUrl).toBe('/x?y=1');
    expect(routed(route('h', '/webhooks/shop')).upstreamUrl).toBe('/');
    expect(routed(route('h', '/webhooks/shop?y=1')).upstreamUrl).toBe('/?y=1');
  });

  it('ignores a trailing slash on the upstream URL', () => {
    const route = createRouter([app('shop', '/webhooks/shop', 'http://127.0.0.1:3000/hook/')]);
    expect(routed(route('h', '/webhooks/shop/x')).upstreamUrl).toBe('/hook/x');
  });

  it('prefixes the whole path for a root app', () => {
    const route = createRouter([app('root', '/', 'http://127.0.0.1:3000/hook')]);
    expect(routed(route('h', '/a/b?c=d')).upstreamUrl).toBe('/hook/a/b?c=d');
  });

  it('keeps the query byte for byte, encoded characters included', () => {
    expect(routed(createRouter([shop])('h', '/webhooks/shop?a=%2F..%2F&b=x%20y')).upstreamUrl).toBe('/hook?a=%2F..%2F&b=x%20y');
  });
});

describe('route: non-canonical paths', () => {
  const route = createRouter([shop, app('root', '/', 'http://127.0.0.1:3000/')]);
  const cases: Array<[string, string]> = [
    ['a .. segment', '/webhooks/shop/../admin'],
    ['a trailing .. segment', '/webhooks/shop/..'],
    ['a . segment', '/webhooks/shop/./x'],
    ['an encoded ..', '/webhooks/shop/%2e%2e/admin'],
    ['an encoded .. in upper case', '/webhooks/shop/%2E%2E/admin'],
    ['an encoded slash', '/webhooks/shop%2Fadmin'],
    ['an encoded slash in lower case', '/webhooks/shop/a%2fb'],
    ['an encoded backslash', '/webhooks/shop/a%5cb'],
    ['an empty segment', '/webhooks//shop/x'],
    ['a leading double slash', '//webhooks/shop'],
    ['a backslash', '/webhooks/shop\\..\\admin'],
    ['an absolute-form target', 'http://hooks.example.com/webhooks/shop'],
    ['an asterisk target', '*'],
  ];
  for (const [what, url] of cases) {
    it(`refuses a path with ${what} as path_not_canonical`, () => {
      expect(route('h', url)).toEqual({ stage: 'route', reason: 'path_not_canonical', status: 404 });
    });
  }

  it('accepts dots inside a segment', () => {
    expect(routed(route('h', '/webhooks/shop/v1.2/..x')).app.name).toBe('shop');
  });
});
