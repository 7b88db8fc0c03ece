// `workers: 2` shares session-ticket keys: one saved session resumes on whichever worker the
// connection lands on (node:cluster hands connections out round-robin), for TLS 1.2 tickets and
// TLS 1.3 PSKs; after a SIGHUP that removes the session's trust anchor it is refused.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRoot } from '../../src/tls/pki.js';
import { useTestbed, shopApp } from '../helpers/fixture.js';
import { useServe } from '../helpers/serve.js';
import { SECRET, eventually } from '../helpers/gateway.js';
import { attempt, type ResumeTarget } from '../helpers/resume.js';

const ATTEMPTS = 40;

const bed = useTestbed();
const { pki, upstream } = bed;
const served = useServe(bed, { workers: 2, apps: () => [shopApp(upstream)] });

const target = (version: ResumeTarget['version']): ResumeTarget => ({ port: served.port, ca: pki.serverCa, client: pki.meta, version, secret: SECRET });

describe.each(['TLSv1.2', 'TLSv1.3'] as const)('workers: 2, %s', (version) => {
  it(`resumes one saved session on either worker (at least 38 of ${ATTEMPTS}), each served`, async () => {
    const first = await attempt(target(version));
    expect(first).toMatchObject({ reused: false, status: 200 });
    const before = served.lines.filter((l) => l.msg === 'request').length;
    const results = [];
    for (let i = 0; i < ATTEMPTS; i++) results.push(await attempt(target(version), first.latest));
    const resumed = results.filter((r) => r.reused).length;
    expect(results.map((r) => r.status)).toEqual(Array(ATTEMPTS).fill(200));
    expect(resumed).toBeGreaterThanOrEqual(38);
    // Both workers served some of them: the session crossed processes.
    await eventually(() => served.lines.filter((l) => l.msg === 'request').length >= before + ATTEMPTS);
    const pids = new Set(served.lines.filter((l) => l.msg === 'request').slice(before).map((l) => l.pid));
    expect(pids.size).toBe(2);
    console.log(`workers: 2, ${version}: ${resumed} of ${ATTEMPTS} resumed`);
  });
});

describe('after SIGHUP removes the trust anchor', () => {
  it('refuses a saved session on every worker (TLS 1.2 and 1.3)', async () => {
    const sessions = { 'TLSv1.2': (await attempt(target('TLSv1.2'))).latest, 'TLSv1.3': (await attempt(target('TLSv1.3'))).latest };
    const other = join(served.dir, 'other-root.pem');
    writeFileSync(other, (await createRoot('Unrelated Root')).certPem);
    served.writeConfig({ clientAuth: { trustAnchors: [other] } });
    const reloads = served.lines.filter((l) => l.msg === 'configuration reloaded').length;
    served.child.kill('SIGHUP');
    await eventually(() => served.lines.filter((l) => l.msg === 'configuration reloaded').length >= reloads + 3, 10_000);
    upstream.received.length = 0;
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      for (let i = 0; i < 4; i++) {
        expect(await attempt(target(version), sessions[version])).toMatchObject({ reused: false, status: undefined });
      }
    }
    expect(upstream.received).toHaveLength(0);
  });
});
