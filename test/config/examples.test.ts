// The shipped configuration files are part of the product: they must stay valid.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { gatewaySchema, appSchema } from '../../src/config/schema.js';

const root = resolve(__dirname, '../..');
const yaml = (p: string) => parse(readFileSync(resolve(root, p), 'utf8')) as unknown;

describe('shipped configuration', () => {
  it('production example: valid, and trusting both the DigiCert root and Meta’s 2026 CA', () => {
    const g = gatewaySchema.parse(yaml('config/production.example.yaml'));
    expect(g.clientAuth.trustAnchors.some((a) => a.endsWith('DigiCert_High_Assurance_EV_Root_CA.pem'))).toBe(true);
    expect(g.clientAuth.trustAnchors).toContain('meta-outbound-api-ca-2025-12.pem');
    expect(g.clientAuth.commonNames).toEqual(['client.webhooks.fbclientcerts.com']);
  });

  it('example app: valid, with secrets from the environment rather than inline', () => {
    const app = appSchema.parse(yaml('config/apps.example/shop.yaml'));
    expect(app.appSecret).toEqual({ env: 'SHOP_APP_SECRET' });
  });

  it('tenants example: valid, with dedupe on and ids quoted', () => {
    const app = appSchema.parse(yaml('config/apps.example/whatsapp.yaml'));
    expect(app.dedupe.enabled).toBe(true);
    expect(app.tenants?.map((t) => [t.name, ...t.phoneNumberIds, ...t.entryIds])).toEqual([
      ['acme', '106540352242922'],
      ['globex', '102290129340398'],
    ]);
    expect(app.fanOut.map((f) => [f.name, f.required])).toEqual([['analytics', false]]);
  });

  it('development profile: valid, listening on loopback only', () => {
    const g = gatewaySchema.parse(yaml('config/gateway.yaml'));
    expect(g.listen.host).toBe('127.0.0.1');
    expect(appSchema.parse(yaml('config/apps/demo.yaml')).name).toBe('demo');
  });
});
