// The "same job" check, before anything is measured: every target that claims to check
// X-Hub-Signature-256 must refuse a wrong and a missing signature with 401 without the upstream
// seeing the request, and deliver a good one to the upstream exactly once. hubgate must also
// answer the verification GET (stage 6) and show its allowlist loaded (stage 1). Any failure
// ends the run: a target that skips the work would otherwise look fast.
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { APPS, VERIFY_TOKEN, metaBody, requestBytes } from './scenarios.mjs';
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
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
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
  const prefixes = await adminMetric(target.proc, 'hubgate_allowlist_prefixes');
  // With workers, the primary sums each worker's gauge.
  if (!prefixes || prefixes % PREFIX_COUNT !== 0) throw new Error(`same-job check failed for ${target.name}: hubgate_allowlist_prefixes = ${prefixes}, expected ${PREFIX_COUNT} per worker`);
  proven.push(`allowlist loaded: hubgate_allowlist_prefixes ${prefixes} (${PREFIX_COUNT} per worker)`);
  return proven;
}
