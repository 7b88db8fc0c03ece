// Logs: one JSON line per request and per refusal, with stage and reason code — and never a
// secret, token, signature or body. Admin: /healthz, /readyz, /metrics with SPEC §5's names.
import { describe, it, expect } from 'vitest';
import { httpGet } from '../helpers/net.js';
import { eventually } from '../helpers/gateway.js';
import { useGateway, shopApp } from '../helpers/fixture.js';
import { post, send, sign } from '../helpers/client.js';

const SECRET_VALUE = 'S3CRET-value-that-must-never-be-logged';
const OLD_SECRET = 'OLD-secret-that-must-never-be-logged';
const TOKEN = 'TOKEN-value-that-must-never-be-logged';
const BODY_MARKER = 'BODY-content-that-must-never-be-logged';

const { pki, gw } = useGateway({
  apps: (upstream) => [
    { ...shopApp(upstream), appSecret: { value: SECRET_VALUE }, previousAppSecrets: [{ value: OLD_SECRET }], verifyToken: { value: TOKEN } },
  ],
});

const fetchText = (path: string) => httpGet(gw.adminPort, path);

describe('logs', () => {
  it('carry one line per request with stage and reason, and none of the secrets, tokens, signatures or bodies', async () => {
    const body = `{"text":"${BODY_MARKER}"}`;
    const base = { port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop' };
    await post({ ...base, body, secret: SECRET_VALUE }); // 200
    await post({ ...base, body, secret: OLD_SECRET }); // 200 via previousAppSecrets
    await post({ ...base, body, secret: 'wrong-secret' }); // 401
    await send({ ...base, method: 'GET', path: `/webhooks/shop?hub.mode=subscribe&hub.challenge=77&hub.verify_token=${TOKEN}` }); // 200
    await send({ ...base, method: 'GET', path: `/webhooks/shop?hub.mode=subscribe&hub.challenge=77&hub.verify_token=${TOKEN}x` }); // 403
    await send({ ...base, method: 'POST', body, headers: { 'x-hub-signature-256': 'sha256=' + 'ab'.repeat(32) } }); // 401
    const requestLines = await eventually(() => {
      const l = gw.logs.filter((x) => x.msg === 'request' || x.msg === 'request refused');
      return l.length >= 6 ? l : undefined;
    });
    expect(requestLines).toHaveLength(6);
    for (const line of requestLines.filter((l) => l.msg === 'request refused')) {
      expect(line.stage).toBeTruthy();
      expect(line.reason).toBeTruthy();
    }
    const raw = gw.rawLog();
    for (const forbidden of [SECRET_VALUE, OLD_SECRET, TOKEN, BODY_MARKER, sign(body, SECRET_VALUE).slice(7), 'ab'.repeat(32), 'hub.verify_token']) {
      expect(raw).not.toContain(forbidden);
    }
  });
});

describe('admin endpoint', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await fetchText('/healthz')).toMatchObject({ status: 200 });
    expect(await fetchText('/readyz')).toMatchObject({ status: 200 });
    expect((await fetchText('/nope')).status).toBe(404);
  });

  it('exports the metric names of SPEC §5 in Prometheus text format', async () => {
    const { status, body } = await fetchText('/metrics');
    expect(status).toBe(200);
    for (const name of [
      'hubgate_requests_total', 'hubgate_rejections_total', 'hubgate_upstream_duration_seconds',
      'hubgate_trust_anchor_expiry_timestamp_seconds', 'hubgate_server_cert_expiry_timestamp_seconds',
      'hubgate_client_cert_expiry_timestamp_seconds',
    ]) {
      expect(body).toContain(`# TYPE ${name}`);
    }
    expect(body).toContain('hubgate_rejections_total{stage="signature",reason="signature_mismatch"}');
    expect(body).not.toContain(SECRET_VALUE);
  });
});
