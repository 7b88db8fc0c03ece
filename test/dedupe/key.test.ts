import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bodySha256, dedupeKey } from '../../src/dedupe/key.js';

describe('dedupeKey', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[{"id":"\\u00e9"}]}');
  const hex = createHash('sha256').update(body).digest('hex');

  it('is the app name and the SHA-256 hex of the raw body', () => {
    expect(dedupeKey('shop', body)).toBe(`shop:${hex}`);
  });

  it('hashes chunks exactly as the concatenated body', () => {
    expect(bodySha256([body.subarray(0, 7), body.subarray(7)])).toBe(hex);
    expect(dedupeKey('shop', [body.subarray(0, 3), body.subarray(3)])).toBe(`shop:${hex}`);
  });

  it('accepts a precomputed hex digest', () => {
    expect(dedupeKey('shop', hex)).toBe(`shop:${hex}`);
  });

  it('separates apps receiving the same bytes', () => {
    expect(dedupeKey('shop', body)).not.toBe(dedupeKey('crm', body));
  });

  it('refuses a digest that is not 64 lowercase hex digits', () => {
    expect(() => dedupeKey('shop', hex.toUpperCase())).toThrow(TypeError);
    expect(() => dedupeKey('shop', hex.slice(1))).toThrow(TypeError);
  });
});
