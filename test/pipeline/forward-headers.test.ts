// The headers the upstream receives (SPEC.md §2 "Forwarding"): hop-by-hop fields removed, the
// edge's own X-Forwarded-* and X-Hubgate-* set by the gateway and never taken from the client.
import { describe, it, expect } from 'vitest';
import { forwardHeaders, type ForwardContext } from '../../src/pipeline/forward.js';
import { findHeader, type HubRequest } from '../../src/http/exchange.js';
import type { AppConfig } from '../../src/config/load.js';
import type { PeerIdentity } from '../../src/tls/identity.js';

const FINGERPRINT = 'ab'.repeat(32);
const SIGNATURE = `sha256=${'0f'.repeat(32)}`;

const app = {
  name: 'shop',
  path: '/webhooks/shop',
  upstreamOrigin: 'http://127.0.0.1:3000',
  upstreamPath: '/hook',
} as AppConfig;

const peer: PeerIdentity = { fingerprint: FINGERPRINT, commonName: 'client.webhooks.fbclientcerts.com', notAfter: new Date() };

/** A request as the engine hands it to the stages: the raw fields in order, as sent. */
function request(method: string, rawHeaders: Array<[string, string]>): HubRequest {
  const raw = rawHeaders.flat();
  return {
    method,
    url: '/webhooks/shop/x',
    rawHeaders: raw,
    header: (name) => findHeader(raw, name),
    readBody: () => () => undefined,
  };
}

/** The forwarded fields by lower-case name. A name sent twice fails the test: every field the
 *  edge sets must replace, never sit beside, what the client sent. */
function forwarded(req: HubRequest, ctx: ForwardContext): Record<string, string> {
  const list = forwardHeaders(req, ctx);
  const out: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) {
    const key = list[i]!.toLowerCase();
    if (key in out) throw new Error(`${key} forwarded twice`);
    out[key] = list[i + 1]!;
  }
  return out;
}

function context(bodyText: string, options: { peer?: PeerIdentity | null } = {}): ForwardContext {
  const chunk = Buffer.from(bodyText);
  return {
    routed: { app, upstreamUrl: '/hook/x' },
    body: { chunks: [chunk], length: chunk.length, digests: [] },
    peer: options.peer === undefined ? peer : options.peer,
    clientAddress: '203.0.113.7',
    upstreamTimeoutMs: 20_000,
  };
}

const BODY = '{"object":"page"}';

function metaPost(extra: Array<[string, string]> = []): HubRequest {
  return request('POST', [
    ['Host', 'hooks.example.com'],
    ['User-Agent', 'facebookexternalua'],
    ['Content-Type', 'application/json'],
    ['Content-Length', String(Buffer.byteLength(BODY))],
    ['X-Hub-Signature-256', SIGNATURE],
    ...extra,
  ]);
}

describe('forwardHeaders: end-to-end fields kept', () => {
  it('keeps X-Hub-Signature-256 unchanged so the app can check it again', () => {
    expect(forwarded(metaPost(), context(BODY))['x-hub-signature-256']).toBe(SIGNATURE);
  });

  it('keeps the Host, content type and other end-to-end headers', () => {
    const out = forwarded(metaPost(), context(BODY));
    expect(out).toMatchObject({ host: 'hooks.example.com', 'user-agent': 'facebookexternalua', 'content-type': 'application/json' });
  });
});

describe('forwardHeaders: hop-by-hop fields', () => {
  it('drops the RFC 9110 hop-by-hop headers', () => {
    const out = forwarded(
      metaPost([
        ['Connection', 'keep-alive'],
        ['Keep-Alive', 'timeout=5'],
        ['Proxy-Connection', 'keep-alive'],
        ['Proxy-Authorization', 'Basic Zm9vOmJhcg=='],
        ['TE', 'trailers'],
        ['Trailer', 'Expires'],
        ['Upgrade', 'websocket'],
      ]),
      context(BODY),
    );
    for (const name of ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade']) {
      expect(out, name).not.toHaveProperty(name);
    }
  });

  it('drops the headers named in Connection', () => {
    const out = forwarded(
      metaPost([['Connection', 'close, X-Custom-Hop ,x-other-hop'], ['X-Custom-Hop', '1'], ['X-Other-Hop', '2'], ['X-Kept', '3']]),
      context(BODY),
    );
    expect(out).not.toHaveProperty('x-custom-hop');
    expect(out).not.toHaveProperty('x-other-hop');
    expect(out['x-kept']).toBe('3');
  });

  it('does not let Connection remove the gateway-set headers or the signature check', () => {
    const out = forwarded(
      metaPost([['Connection', 'X-Hubgate-App, X-Forwarded-For, Content-Length, Host']]),
      context(BODY),
    );
    expect(out).toMatchObject({
      'x-hubgate-app': 'shop',
      'x-forwarded-for': '203.0.113.7',
      'content-length': String(Buffer.byteLength(BODY)),
      host: 'hooks.example.com',
    });
  });

  it('replaces Transfer-Encoding by a Content-Length of the body received', () => {
    const chunked = request('POST', [['Host', 'h'], ['Transfer-Encoding', 'chunked'], ['X-Hub-Signature-256', SIGNATURE]]);
    const out = forwarded(chunked, context(BODY));
    expect(out).not.toHaveProperty('transfer-encoding');
    expect(out['content-length']).toBe(String(Buffer.byteLength(BODY)));
  });

  it('sets Content-Length from the body length, not from the inbound header', () => {
    const lying = request('POST', [['Host', 'h'], ['Content-Length', '999']]);
    expect(forwarded(lying, context('héllo'))['content-length']).toBe(String(Buffer.byteLength('héllo')));
  });

  it('sends Content-Length: 0 for an empty POST', () => {
    expect(forwarded(request('POST', [['Host', 'h']]), context(''))['content-length']).toBe('0');
  });
});

describe('forwardHeaders: fields the edge owns', () => {
  it('replaces inbound X-Forwarded-For, -Proto and -Host whatever their case', () => {
    const out = forwarded(
      metaPost([['x-FORWARDED-for', '10.0.0.1'], ['X-Forwarded-For', '10.0.0.2'], ['X-Forwarded-Proto', 'http'], ['x-forwarded-host', 'evil.example']]),
      context(BODY),
    );
    expect(out['x-forwarded-for']).toBe('203.0.113.7');
    expect(out['x-forwarded-proto']).toBe('https');
    expect(out['x-forwarded-host']).toBe('hooks.example.com');
  });

  it('removes inbound Forwarded and X-Forwarded-Port', () => {
    const out = forwarded(metaPost([['FORWARDED', 'for=10.0.0.1;proto=http'], ['X-Forwarded-Port', '80']]), context(BODY));
    expect(out).not.toHaveProperty('forwarded');
    expect(out).not.toHaveProperty('x-forwarded-port');
  });

  it('removes every inbound X-Hubgate-* header whatever its case', () => {
    const out = forwarded(
      metaPost([['X-HUBGATE-Duplicate', '1'], ['x-hubgate-anything', 'spoofed'], ['X-Hubgate-App', 'admin']]),
      context(BODY),
    );
    expect(out).not.toHaveProperty('x-hubgate-duplicate');
    expect(out).not.toHaveProperty('x-hubgate-anything');
    expect(out['x-hubgate-app']).toBe('shop');
  });

  it('adds X-Hubgate-App and the verified leaf fingerprint', () => {
    const out = forwarded(metaPost(), context(BODY));
    expect(out['x-hubgate-app']).toBe('shop');
    expect(out['x-hubgate-client-cert-sha256']).toBe(FINGERPRINT);
  });

  it('replaces a spoofed fingerprint by the verified one', () => {
    const out = forwarded(metaPost([['X-Hubgate-Client-Cert-Sha256', 'cd'.repeat(32)]]), context(BODY));
    expect(out['x-hubgate-client-cert-sha256']).toBe(FINGERPRINT);
  });

  it('sends no fingerprint, not even a spoofed one, when no certificate was presented', () => {
    const get = request('GET', [['Host', 'h'], ['X-Hubgate-Client-Cert-Sha256', 'cd'.repeat(32)]]);
    const out = forwarded(get, context('', { peer: null }));
    expect(out).not.toHaveProperty('x-hubgate-client-cert-sha256');
    expect(out['x-hubgate-app']).toBe('shop');
  });
});
