// Heap cost of the in-memory dedupe store: N keys of `app:` + 64-hex SHA-256, committed.
// Run: npm run build && node --expose-gc bench/dedupe-memory.mjs [N]
// Method: force GC, read heapUsed, commit N distinct keys, force GC, read again; the delta
// divided by N is the per-key cost. A plain Map<string, number> of the same hex keys with
// Date.now()-style expiries is measured the same way, as the naive baseline.
import { createHash } from 'node:crypto';
import { createMemoryStore } from '../dist/dedupe/memory.js';

const N = Number(process.argv[2] ?? 1_000_000);
const TTL_MS = 129_600_000;
const gc = globalThis.gc;
if (typeof gc !== 'function') console.error('warning: run with --expose-gc for stable figures');

function settle() {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

function key(i) {
  return 'app:' + createHash('sha256').update(String(i)).digest('hex');
}

async function measure(label, fill) {
  const before = settle();
  const t0 = process.hrtime.bigint();
  const keep = await fill();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = settle();
  const mb = (after - before) / 1024 / 1024;
  console.log(
    `${label}: ${N.toLocaleString('en')} keys, heapUsed +${mb.toFixed(1)} MB ` +
      `(${((after - before) / N).toFixed(0)} B/key), filled in ${ms.toFixed(0)} ms ` +
      `(${((ms * 1000) / N).toFixed(2)} µs/key incl. sha256)`,
  );
  return keep;
}

const store = await measure('memory store (compact keys)', async () => {
  const s = createMemoryStore({ maxEntries: N });
  for (let i = 0; i < N; i++) await s.commit(key(i), TTL_MS);
  if (s.size !== N) throw new Error(`expected ${N} entries, got ${s.size}`);
  return s;
});
await store.close();

const naive = await measure('baseline Map<hex key, ms expiry>', async () => {
  const m = new Map();
  const base = Date.now();
  for (let i = 0; i < N; i++) m.set(key(i), base + TTL_MS + i * 0.5);
  return m;
});
naive.clear();
