// A Redis URL with a password, given as { file: PATH } (a mounted Secret): the gateway
// deduplicates through a password-protected redis-server, and the password appears in no log
// line — not at start, not on a reload, not when Redis goes away — nor in `hubgate check`.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, SECRET, eventually } from '../helpers/gateway.js';
import { useTestbed, useStarted, shopApp } from '../helpers/fixture.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { post } from '../helpers/client.js';
import { reloadFromFile } from '../../src/server/reload.js';
import { summarize } from '../../src/cli/check.js';
import { createLogger } from '../../src/log.js';

const MARKER = 'Redis-PASSWORD-marker-51c9';
const { pki, upstream } = useTestbed();
const redis = useStarted('redis', () => startRedisServer({ password: MARKER }), (r) => r.stop());

describe('dedupe.store.redis from a file', () => {
  it('deduplicates through a password-protected Redis and never logs the password', async () => {
    const urlFile = join(pki.dir, 'redis-url');
    writeFileSync(urlFile, `${redis.url}\n`);
    expect(redis.url).toContain(MARKER);
    const gw = await startGateway(pki, [{ ...shopApp(upstream), dedupe: { enabled: true, store: { redis: { file: urlFile } } } }]);
    try {
      const deliver = () => post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: '{"id":"wamid.p1"}', secret: SECRET });
      expect(await deliver()).toMatchObject({ kind: 'response', status: 200 });
      const retry = await deliver();
      expect(retry.kind === 'response' && retry.headers['x-hubgate-duplicate']).toBe('1');
      expect(upstream.received).toHaveLength(1);

      const reloadLines: string[] = [];
      reloadFromFile(gw.gateway, createLogger('debug', { write: (s: string) => void reloadLines.push(s) }));
      expect(summarize(gw.config)).toContain('dedupe (redis)');
      await redis.kill(); // the store's connection error is logged
      await deliver();
      await eventually(() => gw.logs.some((l) => l.msg === 'dedupe store connection lost'));
      for (const text of [gw.rawLog(), reloadLines.join(''), summarize(gw.config)]) expect(text).not.toContain(MARKER);
    } finally {
      await gw.stop();
    }
  });
});
