import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyWhoisError, WhoisError, whoisQuery } from '../../src/allowlist/whois.js';
import { type FakeWhois, RADB_FIXTURE, startFakeWhois } from '../helpers/fake-whois.js';

let whois: FakeWhois;
beforeEach(async () => {
  whois = await startFakeWhois();
});
afterEach(async () => {
  await whois.close();
});

const query = (extra: { timeoutMs?: number; maxBytes?: number; signal?: AbortSignal } = {}) =>
  whoisQuery({ host: whois.host, port: whois.port, query: '-i origin AS32934', timeoutMs: 5000, ...extra });

async function failure(promise: Promise<unknown>): Promise<WhoisError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WhoisError);
  return err as WhoisError;
}

describe('whoisQuery', () => {
  it('sends one query line ending in CRLF and reads the answer to the close', async () => {
    await expect(query()).resolves.toBe(RADB_FIXTURE);
    expect(whois.queries).toEqual(['-i origin AS32934']);
  });

  it('resolves an empty answer to an empty string', async () => {
    whois.setMode('empty');
    await expect(query()).resolves.toBe('');
  });

  it('reports a server that is down as refused', async () => {
    await whois.down();
    const err = await failure(query());
    expect(err.code).toBe('refused');
    expect(err.message).toContain(`127.0.0.1:${whois.port}`);
  });

  it('gives up on a server that never answers', async () => {
    whois.setMode('hang');
    const err = await failure(query({ timeoutMs: 200 }));
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/within 200 ms/);
  });

  it('stops reading an answer larger than maxBytes', async () => {
    const err = await failure(query({ maxBytes: 1000 }));
    expect(err.code).toBe('too_large');
  });

  it('reports a connection reset instead of a close as truncated', async () => {
    whois.setMode('reset');
    const err = await failure(query());
    expect(err.code).toBe('truncated');
  });

  it('can be aborted', async () => {
    whois.setMode('hang');
    const controller = new AbortController();
    const pending = query({ signal: controller.signal });
    controller.abort();
    expect((await failure(pending)).code).toBe('aborted');
  });

  it('refuses a query that would smuggle a second line', async () => {
    await expect(whoisQuery({ host: whois.host, port: whois.port, query: 'AS1\r\n-k', timeoutMs: 1000 })).rejects.toThrow(TypeError);
    expect(whois.queries).toEqual([]);
  });
});

describe('classifyWhoisError', () => {
  const err = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

  it('names DNS failures', () => {
    expect(classifyWhoisError(err('ENOTFOUND'), 0)[0]).toBe('dns');
    expect(classifyWhoisError(err('EAI_AGAIN'), 0)[0]).toBe('dns');
  });

  it('names a reset a truncated answer, with the bytes received', () => {
    expect(classifyWhoisError(err('ECONNRESET'), 10)).toEqual(['truncated', 'connection reset after 10 bytes: answer truncated']);
  });

  it('names anything else a network error', () => {
    expect(classifyWhoisError(err('EHOSTUNREACH'), 0)[0]).toBe('network');
  });
});
