// allowlist.cacheFile: the last good list, so a restart during a registry outage still serves
// (SPEC.md §6). Routes are stored with their maintainers, unfiltered, so a change of
// allowlist.maintainers applies to the cached list too without a fetch.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { parsePrefix } from './address.js';
import type { RpslRoute } from './rpsl.js';

export interface CachedList {
  readonly asn: string;
  /** Unix seconds of the whois fetch that produced the list. */
  readonly fetchedAt: number;
  readonly routes: readonly RpslRoute[];
}

const VERSION = 1;

function fail(file: string, what: string): never {
  throw new Error(`${file}: ${what}`);
}

/**
 * Reads and validates a cache file; undefined when there is none. Throws when it exists but is not
 * a valid cache for `asn`: the file may have been edited or truncated, so every prefix is re-parsed.
 */
export async function readCache(file: string, asn: string): Promise<CachedList | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    fail(file, 'not valid JSON');
  }
  const d = data as { version?: unknown; asn?: unknown; fetchedAt?: unknown; routes?: unknown };
  if (typeof d !== 'object' || d === null || d.version !== VERSION) fail(file, `not a version ${VERSION} allowlist cache`);
  if (typeof d.asn !== 'string' || d.asn.toUpperCase() !== asn.toUpperCase()) fail(file, `cache is for ${String(d.asn)}, not ${asn}`);
  if (typeof d.fetchedAt !== 'number' || !Number.isFinite(d.fetchedAt)) fail(file, 'fetchedAt is not a number');
  if (!Array.isArray(d.routes)) fail(file, 'routes is not a list');
  const routes = d.routes.map((entry: unknown, i: number): RpslRoute => {
    const e = entry as { prefix?: unknown; maintainers?: unknown };
    const prefix = typeof e?.prefix === 'string' ? parsePrefix(e.prefix) : undefined;
    if (prefix === undefined) fail(file, `routes[${i}].prefix is not an IP prefix`);
    if (!Array.isArray(e.maintainers) || !e.maintainers.every((m) => typeof m === 'string')) {
      fail(file, `routes[${i}].maintainers is not a list of names`);
    }
    return { prefix: prefix.text, family: prefix.family, maintainers: e.maintainers as string[] };
  });
  return { asn: d.asn, fetchedAt: d.fetchedAt, routes };
}

/**
 * Writes atomically: a reader (another worker, a restart after a crash or power loss) sees the old
 * file or the new one, never half of one. The temporary file lives in the same directory so the
 * rename stays on one filesystem, and is created exclusively so a planted symlink is not followed.
 */
export async function writeCache(file: string, list: CachedList): Promise<void> {
  const body = `${JSON.stringify({
    version: VERSION,
    asn: list.asn,
    fetchedAt: list.fetchedAt,
    routes: list.routes.map((r) => ({ prefix: r.prefix, maintainers: r.maintainers })),
  })}\n`;
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(body, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
