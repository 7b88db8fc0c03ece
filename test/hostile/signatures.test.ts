// Stage 8 under attack, as properties (fast-check): any change to a signed body, to the header or
// to the secret is refused; the comparison has the same shape wherever the first wrong byte is;
// and the header forms an attacker can play with (case, whitespace, repetition) over real mTLS.
import { describe, it, expect, vi, beforeEach } from 'vitest';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import * as nodeCrypto from 'node:crypto';
import { verifySignature, checkSignature } from '../../src/pipeline/signature.js';
import { tokenMatches } from '../../src/pipeline/verify-token.js';
import { SECRET, eventually } from '../helpers/gateway.js';
import { useGateway } from '../helpers/fixture.js';
import { post, send, sign, type Outcome } from '../helpers/client.js';
import { exchange, rawRequest } from '../helpers/raw.js';

// Every constant-time comparison in src/ goes through this spy, so a test can see its shape.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
const timingSafeEqual = vi.mocked(nodeCrypto.timingSafeEqual);

const hmac = (body: Uint8Array, secret: string | Buffer): Buffer => createHmac('sha256', secret).update(body).digest();
const header = (body: Uint8Array, secret: string | Buffer): string => `sha256=${hmac(body, secret).toString('hex')}`;

/** Meta's app secrets: 32 lower-case hex digits. */
const metaSecret = fc.stringMatching(/^[0-9a-f]{32}$/);
/** Any key bytes up to the HMAC block size, not ending in NUL (RFC 2104 pads keys with zeros,
 *  so "k" and "k\0" are one key; and a key over 64 bytes is the same key as its SHA-256). */
const anySecret = fc.uint8Array({ minLength: 1, maxLength: 64 }).filter((k) => k[k.length - 1] !== 0).map((k) => Buffer.from(k));
const body = fc.uint8Array({ minLength: 0, maxLength: 2048 });
const HEX = '0123456789abcdef';

describe('properties of the pure check (SPEC §2 stage 8)', () => {
  it('accepts any body signed with the app secret', () => {
    fc.assert(fc.property(body, metaSecret, (b, s) => verifySignature(Buffer.from(b), header(b, s), [Buffer.from(s)]) === null));
  });

  it('accepts any mix of upper- and lower-case hex digits', () => {
    fc.assert(
      fc.property(body, metaSecret, fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), (b, s, upper) => {
        const hex = hmac(b, s).toString('hex');
        const mixed = [...hex].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
        return verifySignature(Buffer.from(b), `sha256=${mixed}`, [Buffer.from(s)]) === null;
      }),
    );
  });

  it('refuses any change to a signed body: a flipped bit, an inserted, deleted or appended byte', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    );
    fc.assert(
      fc.property(body, metaSecret, mutation, (b, s, m) => {
        const original = Buffer.from(b);
        let changed: Buffer;
        if (m.kind === 'append') changed = Buffer.concat([original, m.bytes]);
        else if (m.kind === 'insert') {
          const at = m.at % (original.length + 1);
          changed = Buffer.concat([original.subarray(0, at), Buffer.from([m.byte]), original.subarray(at)]);
        } else {
          fc.pre(original.length > 0);
          const at = m.at % original.length;
          changed = Buffer.from(original);
          if (m.kind === 'flip') changed[at] = changed[at]! ^ (1 << m.bit);
          else changed = Buffer.concat([original.subarray(0, at), original.subarray(at + 1)]);
        }
        return verifySignature(changed, header(original, s), [Buffer.from(s)])?.reason === 'signature_mismatch';
      }),
    );
  });

  it('refuses any other secret', () => {
    fc.assert(
      fc.property(body, anySecret, anySecret, (b, s, other) => {
        fc.pre(!s.equals(other));
        return verifySignature(Buffer.from(b), header(b, other), [s])?.reason === 'signature_mismatch';
      }),
    );
  });

  it('refuses a signature made with a secret that is no longer listed, and accepts every listed one', () => {
    fc.assert(
      fc.property(body, fc.uniqueArray(metaSecret, { minLength: 2, maxLength: 4 }), (b, secrets) => {
        const [retired, ...listed] = secrets.map((s) => Buffer.from(s));
        const everyListedAccepted = listed.every((s) => verifySignature(Buffer.from(b), header(b, s), listed) === null);
        return everyListedAccepted && verifySignature(Buffer.from(b), header(b, retired!), listed)?.reason === 'signature_mismatch';
      }),
    );
  });

  it('refuses any change to the 64 hex digits (a different digit anywhere)', () => {
    fc.assert(
      fc.property(body, metaSecret, fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 15 }), (b, s, at, delta) => {
        const hex = hmac(b, s).toString('hex');
        const digit = HEX[(HEX.indexOf(hex[at]!) + delta) % 16]!;
        const tampered = `sha256=${hex.slice(0, at)}${digit}${hex.slice(at + 1)}`;
        return verifySignature(Buffer.from(b), tampered, [Buffer.from(s)])?.reason === 'signature_mismatch';
      }),
    );
  });

  it('refuses any header that is not exactly sha256= and 64 hex digits as malformed', () => {
    const edits = fc.oneof(
      fc.constantFrom('SHA256=', 'sha256:', 'sha256 =', 'sha1=', 'sha512=', '', ' sha256=', 'sha256= '),
      fc.string({ maxLength: 12 }).filter((p) => p !== 'sha256='),
    );
    fc.assert(
      fc.property(body, metaSecret, edits, fc.integer({ min: -3, max: 3 }), (b, s, prefix, lengthChange) => {
        const hex = hmac(b, s).toString('hex');
        const digits = lengthChange < 0 ? hex.slice(0, 64 + lengthChange) : hex + 'a'.repeat(lengthChange);
        fc.pre(prefix !== 'sha256=' || lengthChange !== 0);
        const value = lengthChange === 0 ? `${prefix}${hex}` : `sha256=${digits}`;
        return verifySignature(Buffer.from(b), value, [Buffer.from(s)])?.reason === 'signature_malformed';
      }),
    );
  });

  it('refuses several X-Hub-Signature-256 values, even when each is right', () => {
    fc.assert(
      fc.property(body, metaSecret, (b, s) => {
        const good = header(b, s);
        return (
          verifySignature(Buffer.from(b), [good, good], [Buffer.from(s)])?.reason === 'signature_malformed' &&
          verifySignature(Buffer.from(b), `${good}, ${good}`, [Buffer.from(s)])?.reason === 'signature_malformed'
        );
      }),
    );
  });
});

describe('constant-time in shape: no early exit on a matching prefix', () => {
  beforeEach(() => {
    timingSafeEqual.mockClear();
  });

  it('compares all 32 bytes against every secret, wherever the first wrong byte is', () => {
    fc.assert(
      fc.property(
        body,
        fc.uniqueArray(metaSecret, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 32 }),
        (b, secrets, sharedPrefix) => {
          timingSafeEqual.mockClear();
          const digests = secrets.map((s) => hmac(b, s));
          // A guess that shares its first `sharedPrefix` bytes with the right HMAC (32 = right).
          const guess = Buffer.from(digests[0]!);
          for (let i = sharedPrefix; i < 32; i++) guess[i] = guess[i]! ^ 0xff;
          const verdict = checkSignature(`sha256=${guess.toString('hex')}`, digests);
          const calls = timingSafeEqual.mock.calls;
          return (
            (verdict === null) === (sharedPrefix === 32) &&
            calls.length === secrets.length &&
            calls.every(([a, x]) => (a as Buffer).length === 32 && (x as Buffer).length === 32)
          );
        },
      ),
    );
  });

  it('still compares against the other secrets once the first one matched', () => {
    const b = Buffer.from('{}');
    const digests = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)].map((s) => hmac(b, s));
    expect(checkSignature(`sha256=${digests[0]!.toString('hex')}`, digests)).toBeNull();
    expect(timingSafeEqual).toHaveBeenCalledTimes(3);
  });

  it('compares verify tokens as 32-byte digests, whatever their length or shared prefix', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ maxLength: 200 }), (expected, presented) => {
        timingSafeEqual.mockClear();
        const verdict = tokenMatches(presented, Buffer.from(expected));
        const [a, x] = timingSafeEqual.mock.calls[0] as [Buffer, Buffer];
        return verdict === (presented === expected) && timingSafeEqual.mock.calls.length === 1 && a.length === 32 && x.length === 32;
      }),
    );
  });
});

describe('over real mTLS', () => {
  const { pki, upstream, gw } = useGateway();

  const deliver = (b: Buffer | string, headers: Record<string, string> = {}): Promise<Outcome> =>
    post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: b, secret: SECRET, headers });
  const status = (o: Outcome) => (o.kind === 'response' ? o.status : o.code);

  // Meta-shaped bodies: JSON with \uXXXX escapes and escaped slashes, and arbitrary bytes.
  const metaJson = fc
    .record({ text: fc.string({ unit: 'binary', maxLength: 40 }), id: fc.nat() })
    .map(({ text, id }) => {
      const escaped = [...text].map((c) => (c.charCodeAt(0) > 0x7e ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c === '/' ? '\\/' : c)).join('');
      return Buffer.from(`{"object":"page","entry":[{"id":"${id}","text":${JSON.stringify(escaped)}}]}`);
    });
  const anyBody = fc.oneof(metaJson, fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((u) => Buffer.from(u)));

  it('forwards any signed body byte for byte, exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, async (b) => {
        upstream.received.length = 0;
        const outcome = await deliver(b);
        return status(outcome) === 200 && upstream.received.length === 1 && upstream.received[0]!.body.equals(b);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses any signed body changed by one byte, and forwards nothing', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, fc.nat(), fc.integer({ min: 1, max: 255 }), async (b, at, xor) => {
        upstream.received.length = 0;
        const changed = Buffer.from(b);
        changed[at % changed.length] = changed[at % changed.length]! ^ xor;
        const outcome = await deliver(changed, { 'x-hub-signature-256': sign(b, SECRET) });
        return status(outcome) === 401 && upstream.received.length === 0;
      }),
      { numRuns: 30 },
    );
  });

  it('accepts upper-case hex', async () => {
    const b = '{"upper":true}';
    expect(status(await deliver(b, { 'x-hub-signature-256': `sha256=${hmac(Buffer.from(b), SECRET).toString('hex').toUpperCase()}` }))).toBe(200);
    expect(upstream.received).toHaveLength(1);
  });

  it('accepts whitespace around the value (HTTP trims it) but refuses it inside', async () => {
    const b = '{"ws":1}';
    const sig = sign(b, SECRET);
    const raw = (value: string) =>
      exchange({ port: gw.port, ca: pki.serverCa, client: pki.meta }, rawRequest('POST', '/webhooks/shop', ['Host: localhost', `X-Hub-Signature-256:${value}`, `Content-Length: ${b.length}`], b), { responses: 1 });
    expect((await raw(`  \t${sig} \t `)).statuses).toEqual([200]);
    expect(upstream.received).toHaveLength(1);
    for (const inner of [sig.replace('=', '= '), `${sig.slice(0, 30)} ${sig.slice(30)}`, sig.replace('=', '=\t')]) {
      expect((await raw(` ${inner}`)).statuses).toEqual([401]);
    }
    expect(upstream.received).toHaveLength(1);
  });

  it('refuses two X-Hub-Signature-256 headers, even two right ones, and forwards nothing', async () => {
    const b = '{"twice":1}';
    const sig = sign(b, SECRET);
    for (const pair of [[sig, sig], [sig, sign(b, 'wrong')], [sign(b, 'wrong'), sig]]) {
      const r = await exchange(
        { port: gw.port, ca: pki.serverCa, client: pki.meta },
        rawRequest('POST', '/webhooks/shop', ['Host: localhost', ...pair.map((v) => `X-Hub-Signature-256: ${v}`), `Content-Length: ${b.length}`], b),
        { responses: 1 },
      );
      expect(r.statuses).toEqual([401]);
    }
    expect(upstream.received).toHaveLength(0);
    await eventually(() => gw.logs.find((l) => l.reason === 'signature_malformed'));
  });

  it('ignores the legacy SHA-1 X-Hub-Signature: it neither replaces nor overrides the SHA-256 one', async () => {
    const b = '{"legacy":1}';
    const sha1 = `sha1=${createHmac('sha1', SECRET).update(b).digest('hex')}`;
    const onlySha1 = await send({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: b, headers: { 'x-hub-signature': sha1 } });
    expect(status(onlySha1)).toBe(401);
    expect(upstream.received).toHaveLength(0);
  });

  it('never logs a presented signature or the body', async () => {
    const b = '{"secret-looking-body":"do-not-log-me"}';
    const forged = sign(b, 'attacker-secret');
    expect(status(await deliver(b, { 'x-hub-signature-256': forged }))).toBe(401);
    await eventually(() => gw.logs.find((l) => l.reason === 'signature_mismatch'));
    expect(gw.rawLog()).not.toContain(forged.slice(7));
    expect(gw.rawLog()).not.toContain('do-not-log-me');
  });
});
