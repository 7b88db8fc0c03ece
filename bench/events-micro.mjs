// What reading Meta events costs per delivery, without sockets (SPEC §8–§9, issue 12).
// Run: npm run build && node bench/events-micro.mjs [rounds]
// Uses REDIS_URL if set, else starts a throwaway redis-server on a free loopback port.
//
// 1. Parser choice (docs/decisions/0003-event-scanner.md), same run, rounds interleaved:
//    hubgate's cursor vs jsonc-parser's visitor extracting the same offsets and keys, with
//    JSON.parse alone (no offsets) as the yardstick; on a 1 KB WhatsApp delivery and a 100-event
//    batch.
// 2. The event path per delivery: parse + route + dedupe keys + claim/commit + bodies, with a
//    send() that answers 200 at once, for a new delivery and for Meta's retry (all duplicates),
//    against the per-body dedupe of before (deduper.run on the body hash), memory and Redis.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseNotification } from '../dist/events/notification.js';
import { createEventRouter, deliverEvents } from '../dist/events/index.js';
import { createDeduper, createMemoryStore, createRedisStore, dedupeKey } from '../dist/dedupe/index.js';
import { tenantIds, whatsappBatch, whatsappDelivery } from '../test/helpers/meta-payloads.mjs';

const ROUNDS = Number(process.argv[2] ?? 3);
const { visit } = createRequire(import.meta.url)('jsonc-parser');

// ---- 1. parser ----------------------------------------------------------------------------

const JSONC_OPTIONS = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };
const EVENT = new Set(['entry.#.changes.#', 'entry.#.messaging.#']);
const LIST = new Set(['entry.#.changes', 'entry.#.messaging']);
const IDS = new Set(['entry.#.changes.#.value.messages.#.id', 'entry.#.changes.#.value.statuses.#.id', 'entry.#.changes.#.value.statuses.#.status', 'entry.#.messaging.#.message.mid']);

/** The same extraction with jsonc-parser: latin1 so its offsets are byte offsets; the path kept
 *  by hand (its pathSupplier allocates an array per call); invalid JSON via onError. */
function viaJsonc(buf) {
  let ok = true;
  const stack = [];
  const entries = [];
  const events = [];
  let entryOpen = -1;
  let entryClose = -1;
  let entry;
  let event;
  const path = () => stack.map((s) => (s.array ? '#' : s.key)).join('.');
  const element = () => {
    const top = stack[stack.length - 1];
    if (top?.array) top.index++;
  };
  visit(
    buf.toString('latin1'),
    {
      onObjectBegin(offset) {
        element();
        const p = path();
        if (p === 'entry.#') entry = { start: offset };
        else if (EVENT.has(p)) event = { start: offset, entry: entries.length, ids: [] };
        stack.push({ array: false, key: undefined });
      },
      onObjectProperty(name) {
        stack[stack.length - 1].key = name;
      },
      onObjectEnd(offset, length) {
        stack.pop();
        const p = path();
        if (p === 'entry.#') entries.push({ ...entry, end: offset + length });
        else if (EVENT.has(p)) events.push({ ...event, end: offset + length });
      },
      onArrayBegin(offset) {
        element();
        const p = path();
        if (p === 'entry') entryOpen = offset;
        else if (LIST.has(p)) entry.listOpen = offset;
        stack.push({ array: true, index: -1 });
      },
      onArrayEnd(offset) {
        stack.pop();
        const p = path();
        if (p === 'entry') entryClose = offset;
        else if (LIST.has(p)) entry.listClose = offset;
      },
      onLiteralValue(value) {
        element();
        const p = path();
        if (p === 'entry.#.id') entry.id = value;
        else if (p === 'entry.#.changes.#.value.metadata.phone_number_id') event.phoneNumberId = value;
        else if (IDS.has(p)) event.ids.push(value);
      },
      onError() {
        ok = false;
      },
    },
    JSONC_OPTIONS,
  );
  return ok ? { entryOpen, entryClose, entries, events } : undefined;
}

function usPerCall(fn, arg, ms = 1000) {
  for (let i = 0; i < 300; i++) fn(arg);
  let n = 0;
  const t0 = performance.now();
  let t;
  do {
    for (let i = 0; i < 50; i++) fn(arg);
    n += 50;
  } while ((t = performance.now() - t0) < ms);
  return (t * 1000) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const one = whatsappDelivery({ ...tenantIds(0), id: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUY2MkEzQkVGRDk3QkQ2MUQ2RQA=' });
const hundred = whatsappBatch({ events: 100, tenants: 10 });

for (const body of [one, hundred]) {
  const a = parseNotification(body);
  const b = viaJsonc(body);
  const same = a.events.length === b.events.length && a.events.every((e, i) => e.start === b.events[i].start && e.end === b.events[i].end && e.phoneNumberId === b.events[i].phoneNumberId);
  if (!same) throw new Error('the two parsers disagree');
}

console.log(`# parser, µs per body (median of ${ROUNDS} interleaved rounds)`);
for (const [label, body] of [['1 KB WhatsApp delivery', one], ['100-event batch', hundred]]) {
  const own = [];
  const jsonc = [];
  const jsonParse = [];
  for (let r = 0; r < ROUNDS; r++) {
    own.push(usPerCall(parseNotification, body));
    jsonc.push(usPerCall(viaJsonc, body));
    jsonParse.push(usPerCall((b) => JSON.parse(b.toString('utf8')), body));
  }
  const ratios = own.map((o, i) => (jsonc[i] / o).toFixed(2)).join(', ');
  console.log(
    `${label} (${body.length} B): hubgate ${median(own).toFixed(1)}, jsonc-parser ${median(jsonc).toFixed(1)} (÷ hubgate per round: ${ratios}), JSON.parse alone ${median(jsonParse).toFixed(1)}`,
  );
}

// ---- 2. the event path per delivery ----------------------------------------------------

/** An app as the loader makes it: `tenants` tenants, tenant i owning tenantIds(i). */
function app(tenants) {
  const dest = (name) => ({ name, upstream: `http://127.0.0.1:9/${name}`, upstreamOrigin: 'http://127.0.0.1:9', upstreamPath: `/${name}`, required: true, signingSecret: undefined });
  return {
    name: 'wa',
    upstream: 'http://127.0.0.1:9/hook',
    upstreamOrigin: 'http://127.0.0.1:9',
    upstreamPath: '/hook',
    secrets: [Buffer.from('app-secret')],
    tenants: Array.from({ length: tenants }, (_, i) => ({ ...dest(`t${i}`), file: '', phoneNumberIds: [tenantIds(i).phoneNumberId], entryIds: [] })),
    fanOut: [],
  };
}

const ok = async () => ({ status: 200, relayed: false });

/** Median µs of `deliverOne(body)` for n new deliveries, each followed by its retry. */
async function timed(makeBody, n, deliverOne) {
  const fresh = [];
  const retry = [];
  for (let i = 0; i < n; i++) {
    for (const list of [fresh, retry]) {
      const body = makeBody(i);
      const t = performance.now();
      await deliverOne(body);
      list.push((performance.now() - t) * 1000);
    }
  }
  return { fresh: median(fresh), retry: median(retry) };
}

function eventPath(deduper, appConfig, makeBody, n) {
  const router = createEventRouter(appConfig);
  return timed(makeBody, n, (body) => {
    const notification = parseNotification(body);
    return deliverEvents({ app: 'wa', appSecret: appConfig.secrets[0], notification, original: [body], parts: router(notification), deduper }, ok);
  });
}

function bodyHash(deduper, makeBody, n) {
  return timed(makeBody, n, (body) => deduper.run(dedupeKey('wa', [body]), async () => 200));
}

async function startRedis() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((resolve, reject) => child.once('error', reject).once('spawn', resolve));
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

const own = process.env.REDIS_URL ? undefined : await startRedis();
const redisStore = createRedisStore({ url: process.env.REDIS_URL ?? own.url });
try {
  for (let i = 0; i < 50 && !(await redisStore.ready(100)); i++) await sleep(50);
  const stores = { memory: createMemoryStore(), redis: redisStore };
  const seed = Date.now().toString(36);
  const scenarios = [
    ['1 KB delivery, one of two tenants', app(2), (i) => whatsappDelivery({ ...tenantIds(i % 2), id: `wamid.${seed}.${i}` }), 2000],
    ['100-event batch over ten tenants', app(10), (i) => whatsappBatch({ events: 100, tenants: 10, seed: `${seed}.${i}.` }), 200],
  ];
  console.log('\n# per delivery, µs (median), send() answering 200 at once');
  for (const [name, store] of Object.entries(stores)) {
    const deduper = createDeduper({ store, ttlMs: 129_600_000, waitMs: 20_000, onStoreError: (e) => console.error(e.message) });
    for (const [label, appConfig, makeBody, n] of scenarios) {
      const events = await eventPath(deduper, appConfig, (i) => makeBody(i), n);
      const whole = await bodyHash(deduper, (i) => makeBody(i + 1_000_000), n);
      console.log(
        `${name.padEnd(6)} ${label}: events new ${events.fresh.toFixed(0)}, retry ${events.retry.toFixed(0)} | per-body dedupe new ${whole.fresh.toFixed(0)}, retry ${whole.retry.toFixed(0)}`,
      );
    }
  }
} finally {
  await redisStore.close();
  own?.stop();
}
