// Latency the dedupe step adds per delivery, memory vs a local Redis.
// Run: npm run build && node bench/dedupe-latency.mjs [N]
// Uses REDIS_URL if set, else starts a throwaway redis-server on a free loopback port.
// Method: deduper.run() around a forward() that answers 200 at once, so the time measured is
// the dedupe overhead: a new delivery (claim + commit) and a retry (one claim → duplicate).
// Sequential for latency percentiles, then 64 concurrent for throughput.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDeduper } from '../dist/dedupe/coordinator.js';
import { createMemoryStore } from '../dist/dedupe/memory.js';
import { createRedisStore } from '../dist/dedupe/redis.js';

const N = Number(process.argv[2] ?? 20_000);
const forward = async () => 200;
const hex = (i) => i.toString(16).padStart(64, '0');

function pct(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function sequential(deduper, label, offset) {
  const fresh = [];
  const dup = [];
  for (let i = 0; i < N; i++) {
    const key = `app:${hex(offset + i)}`;
    let t = process.hrtime.bigint();
    const a = await deduper.run(key, forward);
    fresh.push(Number(process.hrtime.bigint() - t) / 1000);
    t = process.hrtime.bigint();
    const b = await deduper.run(key, forward);
    dup.push(Number(process.hrtime.bigint() - t) / 1000);
    if (a.outcome !== 'forwarded' || a.bypassed || b.outcome !== 'duplicate') throw new Error(`${label}: unexpected ${a.outcome}/${b.outcome}`);
  }
  const f = (s) => `p50 ${pct(s, 50).toFixed(1)} µs, p99 ${pct(s, 99).toFixed(1)} µs`;
  console.log(`${label}  new delivery (claim+commit): ${f(fresh)} | retry (duplicate): ${f(dup)}`);
}

async function concurrent(deduper, label, offset, width = 64) {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < N) await deduper.run(`app:${hex(offset + next++)}`, forward);
    }),
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label}  ${width} concurrent new deliveries: ${Math.round(N / s).toLocaleString('en')}/s`);
}

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', resolve);
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

const base = { ttlMs: 129_600_000, waitMs: 20_000 };
const memory = createDeduper({ ...base, store: createMemoryStore() });
await sequential(memory, 'memory', 0);
await concurrent(memory, 'memory', 10 * N);

const own = process.env.REDIS_URL ? undefined : await startRedis();
const store = createRedisStore({ url: process.env.REDIS_URL ?? own.url });
try {
  for (let i = 0; i < 50 && !(await store.ready(100)); i++) await sleep(50);
  const redis = createDeduper({ ...base, store, onStoreError: (e) => console.error(e.message) });
  await sequential(redis, 'redis ', 20 * N + Date.now());
  await concurrent(redis, 'redis ', 40 * N + Date.now());
} finally {
  await store.close();
  own?.stop();
}
