// What the benchmark sends: the apps every proxy serves, the scenarios (load shapes) and the
// request bytes of each. Adding a scenario is a local change here (see bench/README.md, "Adding a
// scenario"): an entry in SCENARIOS, and if it needs its own route an entry in APPS.
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SECRET = 'bench-app-secret';
/** Only with --rotation: the old secret of a rotation in progress (hubgate's previousAppSecrets;
 *  the njs target checks it too). Requests are always signed with SECRET. */
export const PREVIOUS_SECRET = 'bench-app-secret-previous';
export const VERIFY_TOKEN = 'bench-verify-token';

/** The routes every proxy serves: hubgate gets one app file each, nginx one location each.
 *  `upstreamPath` is where the recording upstream receives them; `hubgateYaml(upstreamOrigin)`,
 *  optional, returns more app-file lines (e.g. `tenants:` pointing at other upstream paths). */
export const APPS = [{ name: 'bench', path: '/webhooks/bench', upstreamPath: '/hook' }];

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
 */
export const SCENARIOS = {
  hs: { label: 'full mTLS handshakes/s (new TLS 1.3 connection per 1 KB POST)', unit: 'conn', mode: 'hs', tls: { minVersion: 'TLSv1.3' }, size: '1k', close: true, connections: 64, procs: 4, tlsOnly: true, tables: ['per-core', 'auto'] },
  rs13: { label: 'resumed TLS 1.3 handshakes/s (one saved ticket, new connection per 1 KB POST)', unit: 'conn', mode: 'hs', resume: true, tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, size: '1k', close: true, connections: 64, procs: 4, tlsOnly: true, tables: ['per-core', 'auto'] },
  rs12: { label: 'resumed TLS 1.2 handshakes/s (one saved ticket, new connection per 1 KB POST)', unit: 'conn', mode: 'hs', resume: true, tls: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, size: '1k', close: true, connections: 64, procs: 4, tlsOnly: true, tables: ['per-core', 'auto'] },
  ka1k: { label: 'keep-alive 1 KB POST req/s', unit: 'req', mode: 'ka', size: '1k', connections: 50, procs: 1, tables: ['per-core', 'auto'] },
  lat1k: { label: '1 KB at ½ the slowest proxy\'s peak: latency', unit: 'req', mode: 'rate', size: '1k', connections: 50, procs: 1, rateOf: 'slowest', tables: ['per-core', 'auto'] },
  ka64k: { label: 'keep-alive 64 KB POST req/s', unit: 'req', mode: 'ka', size: '64k', connections: 50, procs: 1, tables: ['per-core', 'auto'] },
  ka3m: { label: 'keep-alive 3 MB POST MB/s', unit: 'req', mode: 'ka', size: '3m', connections: 8, procs: 1, tables: ['per-core'] },
};

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
  const app = APPS.find((a) => a.name === (sc.app ?? APPS[0].name));
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
  return sc.body ? sc.body().length : SIZES[sc.size];
}
