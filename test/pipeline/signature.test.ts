// Stage 8: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(raw body, app secret), checked over
// the bytes as received (SPEC.md §2).
import { describe, it, expect } from 'vitest';
import { createHmac } from 'node:crypto';
import { verifySignature, checkSignature, startHmacs } from '../../src/pipeline/signature.js';

const SECRET = Buffer.from('current-app-secret');
const PREVIOUS = Buffer.from('previous-app-secret');
const BODY = Buffer.from('{"object":"page","entry":[{"id":"1","time":1700000000}]}');

function hex(body: Buffer, secret: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function header(body: Buffer, secret: Buffer = SECRET): string {
  return `sha256=${hex(body, secret)}`;
}

describe('signature: accepted', () => {
  it('accepts a lower-case hex signature made with the app secret', () => {
    expect(verifySignature(BODY, header(BODY), [SECRET])).toBeNull();
  });

  it('accepts an upper-case hex signature', () => {
    expect(verifySignature(BODY, `sha256=${hex(BODY, SECRET).toUpperCase()}`, [SECRET])).toBeNull();
  });

  it('accepts a signature made with a previous app secret during a rotation', () => {
    expect(verifySignature(BODY, header(BODY, PREVIOUS), [SECRET, PREVIOUS])).toBeNull();
  });

  it('accepts an empty body signed as such', () => {
    const empty = Buffer.alloc(0);
    expect(verifySignature(empty, header(empty), [SECRET])).toBeNull();
  });

  it('gives the same verdict when the HMAC is fed chunk by chunk as the body arrives', () => {
    const hmacs = startHmacs([SECRET, PREVIOUS]);
    for (let i = 0; i < BODY.length; i += 7) for (const h of hmacs) h.update(BODY.subarray(i, i + 7));
    const digests = hmacs.map((h) => h.digest());
    expect(checkSignature(header(BODY, PREVIOUS), digests)).toBeNull();
    expect(checkSignature(header(BODY, Buffer.from('other')), digests)).toMatchObject({ reason: 'signature_mismatch' });
  });
});

describe('signature: refused', () => {
  it('refuses a request without the header as signature_missing', () => {
    expect(verifySignature(BODY, undefined, [SECRET])).toEqual({ stage: 'signature', reason: 'signature_missing', status: 401 });
  });

  const good = hex(BODY, SECRET);
  const malformed: Array<[string, string | string[]]> = [
    ['an empty value', ''],
    ['hex without the sha256= prefix', good],
    ['a sha1= prefix', `sha1=${createHmac('sha1', SECRET).update(BODY).digest('hex')}`],
    ['a sha256: prefix', `sha256:${good}`],
    ['63 hex digits', `sha256=${good.slice(0, 63)}`],
    ['65 hex digits', `sha256=${good}0`],
    ['a non-hex digit', `sha256=${good.slice(0, 63)}g`],
    ['base64 instead of hex', `sha256=${createHmac('sha256', SECRET).update(BODY).digest('base64')}`],
    ['a space inside', `sha256= ${good}`],
    ['two headers as an array', [`sha256=${good}`, `sha256=${good}`]],
    ['two values joined with ", "', `sha256=${good}, sha256=${good}`],
  ];
  for (const [what, value] of malformed) {
    it(`refuses ${what} as signature_malformed`, () => {
      expect(verifySignature(BODY, value, [SECRET])).toEqual({ stage: 'signature', reason: 'signature_malformed', status: 401 });
    });
  }

  it('refuses a body with one flipped byte as signature_mismatch', () => {
    const tampered = Buffer.from(BODY);
    tampered[10] = tampered[10]! ^ 0x01;
    expect(verifySignature(tampered, header(BODY), [SECRET])).toEqual({ stage: 'signature', reason: 'signature_mismatch', status: 401 });
  });

  it('refuses a signature made with another secret as signature_mismatch', () => {
    expect(verifySignature(BODY, header(BODY, Buffer.from('not-the-secret')), [SECRET, PREVIOUS])).toMatchObject({
      reason: 'signature_mismatch',
    });
  });

  it('refuses a previous-secret signature once that secret is no longer listed', () => {
    expect(verifySignature(BODY, header(BODY, PREVIOUS), [SECRET])).toMatchObject({ reason: 'signature_mismatch' });
  });
});

describe('signature: raw bytes, never re-serialized JSON', () => {
  // What Meta sends: non-ASCII as \uXXXX (a surrogate pair for an emoji) and `/` as `\/`.
  const metaBody = Buffer.from(
    '{"object":"whatsapp_business_account","entry":[{"changes":[{"value":' +
      '{"text":"caf\\u00e9 \\ud83d\\ude00","link":"https:\\/\\/example.com\\/x"}}]}]}',
    'utf8',
  );
  const signed = header(metaBody);

  it('verifies a Meta-style body over the bytes as received', () => {
    expect(metaBody.toString()).toContain('\\u00e9');
    expect(verifySignature(metaBody, signed, [SECRET])).toBeNull();
  });

  it('does not verify the same payload once re-serialized as JSON', () => {
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(metaBody.toString('utf8'))), 'utf8');
    expect(reserialized.toString()).toContain('café 😀');
    expect(reserialized.toString()).toContain('https://example.com/x');
    expect(verifySignature(reserialized, signed, [SECRET])).toMatchObject({ reason: 'signature_mismatch' });
  });
});
