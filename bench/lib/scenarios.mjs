// What the benchmark sends: the apps every proxy serves, the scenarios (load shapes) and the
// request bytes of each. Adding a scenario is a local change here (see bench/README.md, "Adding a
// scenario"): an entry in SCENARIOS, and if it needs its own route an entry in APPS.
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tenantIds, whatsappBatch, whatsappDelivery } from '../../test/helpers/meta-payloads.mjs';

export const SECRET = 'bench-app-secret';
/** Only with --rotation: the old secret of a rotation in progress (hubgate's previousAppSecrets;
 *  the njs target checks it too). Requests are always signed with SECRET. */
export const PREVIOUS_SECRET = 'bench-app-secret-previous';
export const VERIFY_TOKEN = 'bench-verify-token';

/** The routes every proxy serves: hubgate gets one app file each, nginx one location each.
 *  `upstreamPath` is where the recording upstream receives them; `hubgateYaml(upstreamOrigin,
 *  { redisUrl })`, optional, returns more app-file lines (e.g. `tenants:` pointing at other
 *  upstream paths). `events: true`: an app that reads Meta events (SPEC §8–§9) — served only by
 *  the hubgate targets that run the events scenarios (nginx cannot route per event), with
 *  `tenants` tenants t00, t01, … at `${upstreamPath}/t00`, …; `store: 'redis'` needs the run's
 *  redis-server (not with `--skip-events-redis`). */
export const APPS = [
  { name: 'bench', path: '/webhooks/bench', upstreamPath: '/hook' },
  eventsApp('wa2', 2, 'memory'),
  eventsApp('wa10', 10, 'memory'),
  eventsApp('wa2r', 2, 'redis'),
  eventsApp('wa10r', 10, 'redis'),
];

/** One WhatsApp app with dedupe (required by tenants) and `tenants` tenants, tenant i owning
 *  tenantIds(i)'s phone number. No signingSecret: rewritten bodies are signed with the app
 *  secret, so the recording upstream's HMAC check covers them too. */
function eventsApp(name, tenants, store) {
  const upstreamPath = `/${name}`;
  const tenantPath = (i) => `${upstreamPath}/t${String(i).padStart(2, '0')}`;
  return {
    name,
    path: `/webhooks/${name}`,
    upstreamPath,
    events: true,
    store,
    tenants,
    tenantPath,
    hubgateYaml: (origin, { redisUrl } = {}) =>
      `dedupe: { enabled: true, ttlSeconds: 604800, store: ${store === 'redis' ? `{ redis: "${redisUrl}" }` : 'memory'} }\ntenants:\n` +
      Array.from({ length: tenants }, (_, i) => `  - name: t${String(i).padStart(2, '0')}\n    phoneNumberIds: ["${tenantIds(i).phoneNumberId}"]\n    upstream: ${origin}${tenantPath(i)}\n`).join(''),
  };
}

export const appOf = (sc) => APPS.find((a) => a.name === (sc.app ?? APPS[0].name));

/** The apps a target serves: the plain ones, and with `events` the events apps (the Redis ones
 *  only when the run started a redis-server). */
export const appsFor = ({ events = false, redisUrl = null } = {}) => APPS.filter((a) => !a.events || (events && (a.store !== 'redis' || redisUrl)));

export const SIZES = { '1k': 1024, '64k': 64 * 1024, '3m': 3 * 1024 * 1024 };

/**
 * Scenarios, in the order each round runs them.
 *   mode         loadgen mode: ka (closed loop), rate (open loop), hs (new connection per request)
 *   resume/tls   hs only: offer one saved session; TLS version bounds for the client
 *   connections/procs  total connections, split over `procs` generator processes
 *   tables       which tables run it: 'per-core' (pinned) and/or 'auto'
 *   tlsOnly      not run against the plaintext upstream
 *   kinds        optional: only these target kinds run it (e.g. ['direct', 'hubgate'] for a job
 *                nginx cannot do)
 *   rateOf       rate mode: offered load = ½ of the slowest proxy's ka1k peak in the same round
 *   app          which APPS entry it posts to (default: the first)
 *   body()       optional: the exact body bytes (default: metaBody(SIZES[size]))
 *   distinct(seed)  optional, instead of one body: the bodies to send, each request with a seed
 *                no other request of the target's lifetime had (see distinctTemplates); request
 *                n sends body n % length. For apps with event dedupe, where a repeated event is
 *                answered 200 + X-Hubgate-Duplicate and not forwarded.
 *   upstreamPerRequest, eventsPerRequest  distinct scenarios: the upstream POSTs and the events
 *                hubgate counts delivered that each answered request must cause, counted over the
 *                whole run, warm-up included (lib/accounting.mjs)
 *   events       runs only on the hubgate targets that serve the events apps (and only there)
 */
export const SCENARIOS = {
  hs: { label: 'full mTLS handshakes/s (new TLS 1.3 connection per 1 KB POST)', unit: 'conn', mode: 'hs', tls: { minVersion: 'TLSv1.3' }, size: '1k', close: true, connections: 64, procs: 4, tlsOnly: true, tables: ['per-core', 'auto'] },
  rs13: { label: 'resumed TLS 1.3 handshakes/s (one saved ticket, new connection per 1 KB POST)', unit: 'conn', mode: 'hs', resume: true, tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, size: '1k', close: true, connections: 64, procs: 4, tlsOnly: true, tables: ['per-core', 'auto'] },
  rs12: { label: 'resumed TLS 1.2 handshakes/s (one saved ticket, new connection per 1 KB POST)', unit: 'conn', mode: 'hs', resume: true, tls: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, size: '1k', close: true, connections: 64, procs: 4, tlsOnly: true, tables: ['per-core', 'auto'] },
  ka1k: { label: 'keep-alive 1 KB POST req/s', unit: 'req', mode: 'ka', size: '1k', connections: 50, procs: 1, tables: ['per-core', 'auto'] },
  // Issue 12: Meta events routed to tenants — hubgate only, next to its own ka1k in each round.
  ev1k: eventsScenario('wa2', '1 KB WhatsApp delivery routed to one of two tenants, memory dedupe', deliveryOfTwo, 1, 1),
  ev100: eventsScenario('wa10', '100-event WhatsApp batch split over ten tenants, memory dedupe', batchOfTen, 10, 100),
  ev1kr: eventsScenario('wa2r', '1 KB WhatsApp delivery routed to one of two tenants, Redis dedupe', deliveryOfTwo, 1, 1),
  ev100r: eventsScenario('wa10r', '100-event WhatsApp batch split over ten tenants, Redis dedupe', batchOfTen, 10, 100),
  lat1k: { label: '1 KB at ½ the slowest proxy\'s peak: latency', unit: 'req', mode: 'rate', size: '1k', connections: 50, procs: 1, rateOf: 'slowest', tables: ['per-core', 'auto'] },
  ka64k: { label: 'keep-alive 64 KB POST req/s', unit: 'req', mode: 'ka', size: '64k', connections: 50, procs: 1, tables: ['per-core', 'auto'] },
  ka3m: { label: 'keep-alive 3 MB POST MB/s', unit: 'req', mode: 'ka', size: '3m', connections: 8, procs: 1, tables: ['per-core'] },
};

function eventsScenario(app, label, distinct, upstreamPerRequest, eventsPerRequest) {
  return { label, unit: 'req', mode: 'ka', app, distinct, upstreamPerRequest, eventsPerRequest, events: true, kinds: ['hubgate'], connections: 50, procs: 1, tables: ['per-core', 'auto'] };
}

/** 1,024 bytes, one `messages` event whose id carries the seed; tenant t00 and t01 alternate. */
function deliveryOfTwo(seed) {
  return [0, 1].map((t) => whatsappDelivery({ ...tenantIds(t), id: `wamid.${seed}` }));
}

/** 100 events (messages and statuses alternating) over tenants t00…t09, every id from the seed. */
function batchOfTen(seed) {
  return [whatsappBatch({ events: 100, tenants: 10, seed: `${seed}.` })];
}

/** Seeds are SEED_WIDTH characters: a per-process tag (run and generator), then a base-36 counter. */
export const SEED_WIDTH = 8;
const PLACEHOLDER = '~'.repeat(SEED_WIDTH);

/** A distinct scenario's bodies built once with a placeholder seed, and where the seed sits in
 *  each: a request is a copy with its own seed written at those offsets (distinctBody), so the
 *  load generator neither rebuilds JSON nor keeps a ring of bodies. Checked against building
 *  the bodies from scratch for two seeds: a seed occurrence the offsets missed would differ. */
export function distinctTemplates(sc) {
  const bodies = sc.distinct(PLACEHOLDER);
  const templates = bodies.map((body) => {
    const offsets = [];
    for (let i = body.indexOf(PLACEHOLDER); i !== -1; i = body.indexOf(PLACEHOLDER, i + SEED_WIDTH)) offsets.push(i);
    return { body, offsets };
  });
  for (const seed of ['00000000', 'zz1abcde']) {
    sc.distinct(seed).forEach((want, k) => {
      if (!distinctBody(templates, k, seed).equals(want)) throw new Error(`distinct bodies of ${sc.app}: the seed is not where the template says`);
    });
  }
  return templates;
}

/** Body n of a distinct scenario with `seed` (exactly SEED_WIDTH ASCII characters). */
export function distinctBody(templates, n, seed) {
  const { body, offsets } = templates[n % templates.length];
  const out = Buffer.from(body);
  for (const at of offsets) out.write(seed, at, 'latin1');
  return out;
}

/** The seed of request n of a generator: `tag` (unique per run and generator) + n in base 36. */
export function seedFor(tag, n) {
  const seed = tag + n.toString(36).padStart(SEED_WIDTH - tag.length, '0');
  if (seed.length !== SEED_WIDTH) throw new Error(`seed space of tag ${tag} exhausted at request ${n}`);
  return seed;
}

/** A WhatsApp-shaped JSON notification padded to `size` bytes. */
export function metaBody(size) {
  const envelope = {
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' }, messages: [{ from: '16315551181', id: 'wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', timestamp: '1749416383', type: 'text', text: { body: '' } }] } }] }],
  };
  const bare = Buffer.byteLength(JSON.stringify(envelope));
  envelope.entry[0].changes[0].value.messages[0].text.body = 'x'.repeat(Math.max(0, size - bare));
  const body = Buffer.from(JSON.stringify(envelope));
  if (body.length !== size) throw new Error(`body ${body.length} != ${size}`);
  return body;
}

/** A POST as Meta sends it. `signature`: 'good' (HMAC with SECRET), 'bad' (one hex digit off) or
 *  'none' (header absent) — the last two only for the harness's same-job check. */
export function requestBytes(path, body, { close = false, signature = 'good' } = {}) {
  let sig256 = createHmac('sha256', SECRET).update(body).digest('hex');
  if (signature === 'bad') sig256 = (sig256[0] === '0' ? '1' : '0') + sig256.slice(1);
  const sig1 = createHmac('sha1', SECRET).update(body).digest('hex');
  const head =
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: facebookexternalua\r\nAccept: */*\r\n` +
    `Content-Type: application/json\r\nX-Hub-Signature: sha1=${sig1}\r\n` +
    (signature === 'none' ? '' : `X-Hub-Signature-256: sha256=${sig256}\r\n`) +
    `Content-Length: ${body.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

/** The path a target is sent: the upstream's own path when measured directly. */
export function pathFor(sc, targetKind) {
  const app = appOf(sc);
  return targetKind === 'direct' ? app.upstreamPath : app.path;
}

/** The request file the load generator replays for this scenario and target (written once). */
export function requestFile(work, sc, targetKind) {
  const direct = targetKind === 'direct';
  const file = join(work, 'requests', `${direct ? 'direct' : 'proxy'}-${sc.app ?? APPS[0].name}-${sc.size}${sc.close ? '-close' : ''}.bin`);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const body = sc.body ? sc.body() : metaBody(SIZES[sc.size]);
    writeFileSync(file, requestBytes(pathFor(sc, targetKind), body, { close: sc.close }));
  }
  return file;
}

/** Bytes per request of a scenario (MB/s figures). */
export function bodyBytes(sc) {
  if (sc.distinct) return sc.distinct(PLACEHOLDER)[0].length;
  return sc.body ? sc.body().length : SIZES[sc.size];
}
