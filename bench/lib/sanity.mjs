// The "same job" check, before anything is measured: every target that claims to check
// X-Hub-Signature-256 must refuse a wrong and a missing signature with 401 without the upstream
// seeing the request, and deliver a good one to the upstream exactly once. hubgate must also
// answer the verification GET (stage 6) and show its allowlist loaded (stage 1); a hubgate that
// serves the events apps must route each event to its tenant (eventsJob). Any failure ends the
// run: a target that skips the work would otherwise look fast.
import { createHash, createHmac } from 'node:crypto';
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { APPS, SECRET, VERIFY_TOKEN, appsFor, metaBody, requestBytes } from './scenarios.mjs';
import { tenantIds, whatsappBatch, whatsappDelivery } from '../../test/helpers/meta-payloads.mjs';
import { upstreamStats } from './targets.mjs';
import { adminMetric } from './hubgate.mjs';
import { PREFIX_COUNT } from './whois.mjs';

/** One request on a new mTLS connection; resolves { status, body } once the server closes. */
function oneShot(port, pki, bytes) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const s = connect({ host: '127.0.0.1', port, cert: readFileSync(`${pki}/client.crt`), key: readFileSync(`${pki}/client.key`), rejectUnauthorized: false, servername: 'localhost' }, () => s.write(bytes));
    s.setTimeout(10_000, () => s.destroy(new Error('no answer within 10 s')));
    s.on('data', (c) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => {
      resolve(parse(Buffer.concat(chunks).toString('latin1')));
    });
  });
}

const parse = (text) => {
  const end = text.indexOf('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), head: text.slice(0, end).toLowerCase(), body: text.slice(end + 4) };
};

/** Two requests on one keep-alive mTLS connection (so one worker of a cluster answers both):
 *  the first answer framed by its Content-Length, the second read until the server closes. */
function twice(port, pki, first, second) {
  return new Promise((resolve, reject) => {
    let text = '';
    let answered = null;
    const s = connect({ host: '127.0.0.1', port, cert: readFileSync(`${pki}/client.crt`), key: readFileSync(`${pki}/client.key`), rejectUnauthorized: false, servername: 'localhost' }, () => s.write(first));
    s.setTimeout(10_000, () => s.destroy(new Error('no answer within 10 s')));
    s.on('data', (c) => {
      text += c.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? NaN);
      if (answered || end === -1 || !(text.length >= end + 4 + length)) return;
      answered = parse(text.slice(0, end + 4 + length));
      text = text.slice(end + 4 + length);
      s.write(second);
    });
    s.on('error', reject);
    s.on('close', () => (answered ? resolve([answered, parse(text)]) : reject(new Error('the first request got no framed answer'))));
  });
}

const get = (path) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);

/** @returns {Promise<string[]>} what was proven, one line per check; throws on the first failure. */
export async function sameJob(ctx, target) {
  const app = APPS[0];
  const body = metaBody(1024);
  const proven = [];
  const expect = async (what, bytes, okStatus, delivered, bodyCheck) => {
    const before = (await upstreamStats(ctx.upstreamPort)).requests;
    const res = await oneShot(target.port, ctx.pki, bytes);
    const after = (await upstreamStats(ctx.upstreamPort)).requests;
    const reached = after - before;
    if (!okStatus(res.status) || reached !== delivered || (bodyCheck && !bodyCheck(res.body))) {
      throw new Error(`same-job check failed for ${target.name}: ${what} got ${res.status}, upstream saw ${reached} request(s), expected ${delivered}`);
    }
    proven.push(`${what}: ${res.status}, upstream saw ${reached}`);
  };
  await expect('good signature', requestBytes(app.path, body, { close: true }), (s) => s >= 200 && s < 300, 1);
  if (target.kind === 'nginx') return proven; // Meta's recipe checks no signature: only delivery is proven
  await expect('wrong signature', requestBytes(app.path, body, { close: true, signature: 'bad' }), (s) => s === 401, 0);
  await expect('no signature', requestBytes(app.path, body, { close: true, signature: 'none' }), (s) => s === 401, 0);
  if (target.kind !== 'hubgate') return proven;
  const challenge = 'c1234567';
  await expect('verification GET, right token', get(`${app.path}?hub.mode=subscribe&hub.challenge=${challenge}&hub.verify_token=${VERIFY_TOKEN}`), (s) => s === 200, 0, (b) => b === challenge);
  await expect('verification GET, wrong token', get(`${app.path}?hub.mode=subscribe&hub.challenge=${challenge}&hub.verify_token=wrong`), (s) => s === 403, 0);
  if (target.events) proven.push(...(await eventsJob(ctx, target)));
  const prefixes = await adminMetric(target.proc, 'hubgate_allowlist_prefixes');
  // With workers, the primary sums each worker's gauge.
  if (!prefixes || prefixes % PREFIX_COUNT !== 0) throw new Error(`same-job check failed for ${target.name}: hubgate_allowlist_prefixes = ${prefixes}, expected ${PREFIX_COUNT} per worker`);
  proven.push(`allowlist loaded: hubgate_allowlist_prefixes ${prefixes} (${PREFIX_COUNT} per worker)`);
  return proven;
}

const bench = (ctx, what) => fetch(`http://127.0.0.1:${ctx.upstreamPort}/__bench/${what}`).then((r) => r.json());

/** Each event of a forwarded body: its phone number id and its message/status id. */
function eventsOf(body) {
  const out = [];
  for (const entry of JSON.parse(body).entry) {
    for (const { value } of entry.changes) {
      for (const e of [...(value.messages ?? []), ...(value.statuses ?? [])]) out.push({ phone: value.metadata.phone_number_id, id: e.id });
    }
  }
  return out;
}

/** Per events app (SPEC §8–§9): a delivery for one tenant reaches that tenant alone with Meta's
 *  bytes and signature; sent again it is answered as a duplicate and reaches no one; a batch
 *  over every tenant reaches each tenant once, rewritten, signed with the app secret, with
 *  exactly its own events; a wrong signature reaches no one. */
async function eventsJob(ctx, target) {
  const proven = [];
  const fail = (app, msg) => {
    throw new Error(`same-job check failed for ${target.name}, app ${app.name}: ${msg}`);
  };
  await bench(ctx, 'strict/on');
  try {
    for (const app of appsFor({ events: true, redisUrl: ctx.redisUrl }).filter((a) => a.events)) {
      const send = async (body, signature) => {
        await bench(ctx, 'strict/on'); // clears the recent requests
        const res = await oneShot(target.port, ctx.pki, requestBytes(app.path, body, { close: true, signature }));
        return { res, seen: await bench(ctx, 'recent') };
      };
      // The delivery and its repeat on one connection: a memory store is per worker.
      const one = whatsappDelivery({ ...tenantIds(1), id: `wamid.samejob.${app.name}.${target.port}` });
      await bench(ctx, 'strict/on');
      const [res1, again] = await twice(target.port, ctx.pki, requestBytes(app.path, one), requestBytes(app.path, one, { close: true }));
      let seen = await bench(ctx, 'recent');
      const sig = `sha256=${createHmac('sha256', SECRET).update(one).digest('hex')}`;
      const sha = (b) => createHash('sha256').update(b).digest('hex');
      if (res1.status !== 200 || seen.length !== 1 || seen[0].path !== app.tenantPath(1) || seen[0].rewritten || seen[0].signature !== sig || sha(Buffer.from(seen[0].body, 'base64')) !== sha(one)) {
        fail(app, `a delivery for t01 (then again) got ${res1.status}; upstream saw ${JSON.stringify(seen.map((s) => ({ path: s.path, rewritten: s.rewritten })))}, expected Meta's bytes and signature once at ${app.tenantPath(1)}`);
      }
      if (again.status !== 200 || !again.head.includes('\r\nx-hubgate-duplicate: 1')) fail(app, `the same delivery again got ${again.status} without X-Hubgate-Duplicate: 1`);
      let res;
      const batch = whatsappBatch({ events: 100, tenants: app.tenants, seed: `samejob.${app.name}.${target.port}.` });
      ({ res, seen } = await send(batch));
      const paths = seen.map((s) => s.path).sort();
      const want = Array.from({ length: app.tenants }, (_, i) => app.tenantPath(i));
      if (res.status !== 200 || paths.join() !== want.join() || !seen.every((s) => s.rewritten && s.hmacOk)) fail(app, `a ${app.tenants}-tenant batch got ${res.status}; upstream saw ${paths.join(', ')}, expected each tenant once, rewritten and signed`);
      const ids = new Set();
      for (const s of seen) {
        const phone = tenantIds(want.indexOf(s.path)).phoneNumberId;
        for (const e of eventsOf(Buffer.from(s.body, 'base64').toString())) {
          if (e.phone !== phone) fail(app, `${s.path} got an event of phone number ${e.phone}`);
          ids.add(e.id);
        }
      }
      const sent = eventsOf(batch.toString()).map((e) => e.id);
      if (ids.size !== sent.length || !sent.every((id) => ids.has(id))) fail(app, `the tenants got ${ids.size} distinct events of the ${sent.length} sent`);
      ({ res, seen } = await send(whatsappDelivery({ ...tenantIds(0), id: `wamid.samejob.${app.name}.${target.port}.bad` }), 'bad'));
      if (res.status !== 401 || seen.length !== 0) fail(app, `a wrong signature got ${res.status}, upstream saw ${seen.length}`);
      proven.push(
        `${app.name} (${app.tenants} tenants, ${app.store} dedupe): a 1 KB delivery for t01 reached ${app.tenantPath(1)} alone with Meta's bytes and signature; again on the same connection: 200 + X-Hubgate-Duplicate, nothing forwarded; a ${batch.length.toLocaleString('en-US')}-byte 100-event batch reached each of the ${app.tenants} tenants once (${seen.map((s) => Buffer.from(s.body, 'base64').length).join(' + ')} bytes), rewritten, HMAC valid, only its own events, all 100 delivered; a wrong signature: 401, nothing forwarded`,
      );
    }
  } finally {
    await bench(ctx, 'strict/off');
  }
  return proven;
}
