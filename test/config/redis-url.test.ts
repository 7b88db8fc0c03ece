// `dedupe.store.redis` takes the secret forms ({ env | file | value }) besides an inline URL: a
// Redis URL may hold a password, which belongs in a mounted Secret, not in the app file. The
// loader resolves it, so the dedupe store still receives a URL; no message ever quotes it.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { displayPath } from '../../src/config/errors.js';
import { writeConfigFolder } from '../helpers/gateway.js';
import { useStarted } from '../helpers/fixture.js';
import { createTestPki } from '../helpers/pki.js';

const MARKER = 'Redis-PASSWORD-marker-7f3a';
const URL_WITH_PASSWORD = `redis://:${MARKER}@redis.internal:6379/2`;

const pki = useStarted('pki', () => createTestPki(), (p) => p.cleanup());
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hubgate-redis-url-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const configWith = (redis: unknown) =>
  writeConfigFolder(dir, pki, {}, [{ name: 'shop', path: '/webhooks/shop', upstream: 'http://127.0.0.1:3000/hook', dedupe: { enabled: true, store: { redis } } }]);
const storeOf = (file: string, env: NodeJS.ProcessEnv = {}) => loadConfig(file, env).apps[0]!.dedupe.store;

function refusal(file: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig(file, env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('dedupe.store.redis', () => {
  it('keeps taking an inline URL', () => {
    expect(storeOf(configWith('redis://127.0.0.1:6379'))).toEqual({ redis: 'redis://127.0.0.1:6379' });
  });

  it('reads the URL from an environment variable', () => {
    expect(storeOf(configWith({ env: 'SHOP_REDIS_URL' }), { SHOP_REDIS_URL: URL_WITH_PASSWORD })).toEqual({ redis: URL_WITH_PASSWORD });
  });

  it('reads the URL from a file, without its trailing newline, relative to the app file', () => {
    const file = configWith({ file: 'redis-url' });
    writeFileSync(join(dir, 'apps', 'redis-url'), `${URL_WITH_PASSWORD}\n`);
    expect(storeOf(file)).toEqual({ redis: URL_WITH_PASSWORD });
  });

  it('takes { value: URL } like the other secrets', () => {
    expect(storeOf(configWith({ value: URL_WITH_PASSWORD }))).toEqual({ redis: URL_WITH_PASSWORD });
  });

  it('names the variable that is missing', () => {
    const file = configWith({ env: 'SHOP_REDIS_URL' });
    expect(refusal(file)).toBe(`${displayPath(join(dir, 'apps', 'shop.yaml'))}: dedupe.store.redis: environment variable SHOP_REDIS_URL is not set or empty`);
  });

  it('refuses a resolved value that is not a redis:// URL, without quoting it', () => {
    const message = refusal(configWith({ env: 'SHOP_REDIS_URL' }), { SHOP_REDIS_URL: `http://:${MARKER}@redis.internal` });
    expect(message).toContain('dedupe.store.redis: must hold a redis:// or rediss:// URL');
    expect(message).not.toContain(MARKER);
  });

  it('refuses an inline string that is not a redis:// URL, without quoting it', () => {
    const message = refusal(configWith(`http://:${MARKER}@redis.internal`));
    expect(message).toContain('dedupe.store.redis: must be a redis:// or rediss:// URL');
    expect(message).not.toContain(MARKER);
  });
});
