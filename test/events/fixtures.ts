// Apps with tenants as the loader hands them over, for the event tests that run without sockets.
import type { AppConfig, Destination, Tenant } from '../../src/config/load.js';

function destination(name: string, upstream: string, extra: Partial<Destination> = {}): Destination {
  const url = new URL(upstream);
  return {
    name,
    upstream: url.href,
    upstreamOrigin: url.origin,
    upstreamPath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
    required: true,
    signingSecret: undefined,
    ...extra,
  };
}

export function tenant(name: string, ids: { phoneNumberIds?: string[]; entryIds?: string[] }, extra: Partial<Destination> = {}): Tenant {
  return {
    ...destination(name, `http://127.0.0.1:9/${name}`, extra),
    file: '/config/apps/shop.yaml',
    phoneNumberIds: ids.phoneNumberIds ?? [],
    entryIds: ids.entryIds ?? [],
  };
}

export function fanOut(name: string, required: boolean, extra: Partial<Destination> = {}): Destination {
  return destination(name, `http://127.0.0.1:9/${name}`, { required, ...extra });
}

export const APP_SECRET = Buffer.from('app-secret');

export function appWith(tenants: Tenant[] = [], fanOuts: Destination[] = []): AppConfig {
  return {
    name: 'shop',
    file: '/config/apps/shop.yaml',
    host: undefined,
    path: '/webhooks/shop',
    upstream: 'http://127.0.0.1:9/hook',
    upstreamOrigin: 'http://127.0.0.1:9',
    upstreamPath: '/hook',
    secrets: [APP_SECRET],
    verifyToken: undefined,
    dedupe: { enabled: true, ttlSeconds: 129_600, store: 'memory' },
    tenants,
    fanOut: fanOuts,
    tenantsDir: undefined,
  };
}
