// A real, throwaway redis-server for tests: loopback only, a free port, no persistence.
// Missing binary → a failing test with the fix in the message, never a skipped one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './net.js';

export { freePort };

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, as a crashed Redis: clients see the connection drop mid-run. */
  kill(): Promise<void>;
  /** Graceful stop (SIGTERM, then SIGKILL after 5 s); also removes the scratch dir. */
  stop(): Promise<void>;
}

const BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const START_ATTEMPTS = 3; // a free port can be taken between probing and binding
const READY_POLLS = 100;
const READY_POLL_MS = 50;

/** `port`: restart on a known port (a Redis coming back after a crash); default a free one.
 *  `password`: requirepass, and the URL carries it (`redis://:password@…`). */
export async function startRedisServer(options: { port?: number; password?: string } = {}): Promise<RedisServer> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(options.port ?? (await freePort()), options.password);
    } catch (err) {
      lastError = err as Error;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
    }
  }
  throw lastError ?? new Error('redis-server did not start');
}

async function startOnce(port: number, password?: string): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hubgate-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (password !== undefined) args.push('--requirepass', password);
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        const e = new Error(
          `${BIN} not found: the Redis dedupe tests need a real Redis. Install it with ` +
            '`apt-get install -y redis-server` (Debian package), or set REDIS_SERVER_BIN.',
        ) as NodeJS.ErrnoException;
        e.code = 'ENOENT';
        resolve(e);
      } else resolve(err);
    });
    child.once('exit', (code, signal) => resolve(new Error(`redis-server exited (${code ?? signal}): ${output}`)));
  });
  const ready = await Promise.race([waitReady(port), exited]);
  if (ready !== true) {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw ready instanceof Error ? ready : new Error(`redis-server not ready on ${port}: ${output}`);
  }
  return {
    port,
    url: password === undefined ? `redis://127.0.0.1:${port}` : `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
    },
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

async function waitReady(port: number): Promise<true | false> {
  for (let i = 0; i < READY_POLLS; i++) {
    if (await ping(port)) return true;
    await sleep(READY_POLL_MS);
  }
  return false;
}

/** RESP inline PING; true on +PONG (or NOAUTH: up, and asking for the password). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString('latin1'))));
  });
}

