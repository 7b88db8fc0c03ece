// Routine operations without a dropped request (SPEC.md §7): reload under load, a refused
// reload, the drain on shutdown, expiry metrics.
import { describe, it, expect } from 'vitest';
import { Agent, request } from 'node:https';
import { httpGet } from '../helpers/net.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issue } from '../helpers/pki.js';
import { createRoot, EKU_SERVER_AUTH } from '../../src/tls/pki.js';
import { useTestbed, shopApp } from '../helpers/fixture.js';
import { startGateway, SECRET, eventually, type Harness, type AppSpec } from '../helpers/gateway.js';
import { post, sign } from '../helpers/client.js';
import { reloadFromFile } from '../../src/server/reload.js';
import { expiringSoon, EXPIRY_WARNING_DAYS } from '../../src/server/expiry.js';
import { watchConfig } from '../../src/server/watch.js';

const NEW_SECRET = 'rotated-app-secret-fedcba9876';
const { pki, upstream } = useTestbed();

const readyz = async (port: number) => (await httpGet(port, '/readyz')).status;

/** One signed POST over a shared keep-alive agent; resolves with the status (0 on error). */
function keepAlivePost(gw: Harness, agent: Agent, ca: string, path: string, body: string, secret: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: gw.port, servername: 'localhost', method: 'POST', path, agent, ca, ...pki.meta,
        headers: { host: 'localhost', 'content-type': 'application/json', 'x-hub-signature-256': sign(body, secret) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

describe('SIGHUP reload under load', () => {
  it('rotates the server certificate, the app secret and the app set with zero failed requests', async () => {
    const shop: AppSpec = shopApp(upstream);
    const gw = await startGateway(pki, [shop]);
    const newServerRoot = await createRoot('Rotated Server Root');
    const newServer = await issue({ subject: 'CN=localhost', issuer: newServerRoot, extKeyUsages: [EKU_SERVER_AUTH], dnsNames: ['localhost'] });
    const ca = pki.serverCa + newServerRoot.certPem; // clients trust both during the rotation
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    upstream.received.length = 0;
    try {
      const TOTAL = 600;
      let sent = 0;
      let reloaded = false;
      const statuses: number[] = [];
      const worker = async () => {
        while (sent < TOTAL) {
          const n = sent++;
          // Old secret until the reload, then the new one: both must pass (previousAppSecrets).
          const secret = reloaded && n % 2 === 0 ? NEW_SECRET : SECRET;
          statuses.push(await keepAlivePost(gw, agent, ca, '/webhooks/shop', `{"n":${n}}`, secret));
          if (n === TOTAL / 3 && !reloaded) {
            const certFile = join(gw.dir, 'rotated.crt');
            const keyFile = join(gw.dir, 'rotated.key');
            writeFileSync(certFile, newServer.certPem);
            writeFileSync(keyFile, newServer.keyPem);
            gw.writeConfig({ tls: { cert: certFile, key: keyFile } }, [
              { ...shop, appSecret: { value: NEW_SECRET }, previousAppSecrets: [{ value: SECRET }] },
              { name: 'orders', path: '/webhooks/orders', upstream: `${upstream.url}/orders` },
            ]);
            const summary = reloadFromFile(gw.gateway, gw.gateway.log, {});
            expect(summary).toMatchObject({ appsAdded: ['orders'], appsChanged: ['shop'] });
            expect(summary!.changed).toContain('tls (server certificate or key)');
            reloaded = true;
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect(statuses).toHaveLength(TOTAL);
      // Each delivered exactly once.
      const bodies = upstream.received.map((r) => r.body.toString());
      expect(new Set(bodies).size).toBe(TOTAL);
      expect(bodies).toHaveLength(TOTAL);
      // New config observed by new connections: the new app routes, the new certificate is served.
      const fresh = await post({ port: gw.port, ca: newServerRoot.certPem, client: pki.meta, path: '/webhooks/orders', body: '{}', secret: SECRET });
      expect(fresh).toMatchObject({ kind: 'response', status: 200 });
      // Nothing secret in the reload log line.
      const line = await eventually(() => gw.logs.find((l) => l.msg === 'configuration reloaded'));
      expect(JSON.stringify(line)).not.toContain(NEW_SECRET);
      expect(gw.rawLog()).not.toContain(NEW_SECRET);
    } finally {
      agent.destroy();
      await gw.stop();
    }
  });

  it('refuses an invalid new config with the startup message and keeps serving the old one', async () => {
    const shop: AppSpec = shopApp(upstream);
    const gw = await startGateway(pki, [shop]);
    try {
      gw.writeConfig(undefined, [{ ...shop, upstream: 'ftp://nope/' }]);
      expect(reloadFromFile(gw.gateway, gw.gateway.log, {})).toBeNull();
      const line = await eventually(() => gw.logs.find((l) => l.msg?.toString().startsWith('reload refused')));
      expect(String(line.error)).toMatch(/apps\/shop\.yaml: upstream: must be an http:\/\/ URL/);
      expect(await post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: '{}', secret: SECRET })).toMatchObject({ status: 200 });
    } finally {
      await gw.stop();
    }
  });
});

describe('watch: true', () => {
  it('reloads once for a burst of changes in the apps folder (a Kubernetes Secret update)', async () => {
    const shop: AppSpec = shopApp(upstream);
    const gw = await startGateway(pki, [shop], { watch: true });
    let reloads = 0;
    const stop = watchConfig(gw.config, gw.gateway.log, () => {
      reloads += 1;
      reloadFromFile(gw.gateway, gw.gateway.log, {});
    }, 100);
    try {
      gw.writeConfig({ watch: true }, [shop, { name: 'orders', path: '/webhooks/orders', upstream: `${upstream.url}/orders` }]);
      await eventually(() => gw.gateway.config.apps.length === 2);
      await new Promise((r) => setTimeout(r, 300));
      expect(reloads).toBe(1);
      expect(await post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/orders', body: '{}', secret: SECRET })).toMatchObject({ status: 200 });
    } finally {
      stop();
      await gw.stop();
    }
  });
});

describe('shutdown', () => {
  it('turns /readyz 503 at the start of the drain and lets the request in flight finish', async () => {
    upstream.respondWith((_r, res) => setTimeout(() => { res.writeHead(200); res.end('done'); }, 600));
    const gw = await startGateway(pki, [shopApp(upstream)]);
    try {
      expect(await readyz(gw.adminPort)).toBe(200);
      const inFlight = post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: '{}', secret: SECRET });
      await new Promise((r) => setTimeout(r, 200));
      const stopping = gw.gateway.stop(5_000);
      expect(await readyz(gw.adminPort)).toBe(503);
      expect(await inFlight).toMatchObject({ kind: 'response', status: 200, body: 'done' });
      await stopping;
    } finally {
      upstream.respondWith((_r, res) => { res.writeHead(200); res.end(); });
    }
  });
});

describe('expiry alarms', () => {
  it('exports trust anchor, server and client certificate expiry timestamps', async () => {
    const gw = await startGateway(pki, [shopApp(upstream)]);
    try {
      await post({ port: gw.port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: '{}', secret: SECRET });
      const text = await gw.gateway.metrics.registry.metrics();
      const anchor = Math.floor(pki.root.cert.notAfter.getTime() / 1000);
      expect(text).toContain(`hubgate_trust_anchor_expiry_timestamp_seconds{subject="CN=Test Root CA, O=hubgate test PKI"`);
      expect(text).toMatch(new RegExp(`hubgate_trust_anchor_expiry_timestamp_seconds\\{[^}]*\\} ${anchor}`));
      expect(text).toMatch(/hubgate_server_cert_expiry_timestamp_seconds \d{10}/);
      expect(text).toContain(`hubgate_client_cert_expiry_timestamp_seconds ${Math.floor(pki.leaf.cert.notAfter.getTime() / 1000)}`);
    } finally {
      await gw.stop();
    }
  });

  it('warns 30 days ahead of an expiry, and not before', () => {
    const now = Date.parse('2026-11-24T00:00:00Z');
    const day = 86_400_000;
    const items = [
      { what: 'a', subject: 'CN=a', notAfter: new Date(now + (EXPIRY_WARNING_DAYS - 1) * day) },
      { what: 'b', subject: 'CN=b', notAfter: new Date(now + (EXPIRY_WARNING_DAYS + 1) * day) },
      { what: 'c', subject: 'CN=c', notAfter: new Date(now - day) },
    ];
    expect(expiringSoon(items, now).map((i) => i.what)).toEqual(['a', 'c']);
  });

  it('logs a warning at start for a server certificate that expires within 30 days', async () => {
    const shortServer = await issue({
      subject: 'CN=localhost', issuer: pki.root, extKeyUsages: [EKU_SERVER_AUTH], dnsNames: ['localhost'],
      notAfter: new Date(Date.now() + 10 * 86_400_000),
    });
    writeFileSync(join(pki.dir, 'short.crt'), shortServer.certPem);
    writeFileSync(join(pki.dir, 'short.key'), shortServer.keyPem);
    const gw = await startGateway(pki, [shopApp(upstream)], {
      tls: { cert: join(pki.dir, 'short.crt'), key: join(pki.dir, 'short.key') },
    });
    try {
      const line = await eventually(() => gw.logs.find((l) => String(l.msg).startsWith('certificate expires in')));
      expect(line.what).toBe('server certificate (tls.cert)');
      expect(line.daysLeft).toBe(9);
    } finally {
      await gw.stop();
    }
  });
});
