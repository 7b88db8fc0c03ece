// `workers: 2` shares session-ticket keys: one saved session resumes on whichever worker the
// connection lands on (node:cluster hands connections out round-robin), for TLS 1.2 tickets and
// TLS 1.3 PSKs; after a SIGHUP that removes the session's trust anchor it is refused.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, httpGet } from '../helpers/net.js';
import { createRoot } from '../../src/tls/pki.js';
import { useTestbed, shopApp } from '../helpers/fixture.js';
import { writeConfigFolder, SECRET, eventually } from '../helpers/gateway.js';
import { attempt, type ResumeTarget } from '../helpers/resume.js';

const BIN = resolve(__dirname, '../../bin/hubgate.js');
const ATTEMPTS = 40;

const { pki, upstream } = useTestbed();
let dir: string;
let child: ChildProcess;
const lines: Array<Record<string, unknown>> = [];
let port: number;
let adminPort: number;
const apps = () => [shopApp(upstream)];
const settings = () => ({ workers: 2, listen: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: adminPort }, log: { level: 'info' } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubgate-resume-'));
  [port, adminPort] = [await freePort(), await freePort()];
  const file = writeConfigFolder(dir, pki, settings(), apps());
  child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  const collect = (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p) as Record<string, unknown>);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  await eventually(() => lines.filter((l) => l.msg === 'hubgate listening').length >= 2, 20_000);
  await eventually(async () => (await httpGet(adminPort, '/readyz')).status === 200, 10_000);
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const target = (version: ResumeTarget['version']): ResumeTarget => ({ port, ca: pki.serverCa, client: pki.meta, version, secret: SECRET });

describe.each(['TLSv1.2', 'TLSv1.3'] as const)('workers: 2, %s', (version) => {
  it(`resumes one saved session on either worker (at least 38 of ${ATTEMPTS}), each served`, async () => {
    const first = await attempt(target(version));
    expect(first).toMatchObject({ reused: false, status: 200 });
    const before = lines.filter((l) => l.msg === 'request').length;
    const results = [];
    for (let i = 0; i < ATTEMPTS; i++) results.push(await attempt(target(version), first.latest));
    const resumed = results.filter((r) => r.reused).length;
    expect(results.map((r) => r.status)).toEqual(Array(ATTEMPTS).fill(200));
    expect(resumed).toBeGreaterThanOrEqual(38);
    // Both workers served some of them: the session crossed processes.
    await eventually(() => lines.filter((l) => l.msg === 'request').length >= before + ATTEMPTS);
    const pids = new Set(lines.filter((l) => l.msg === 'request').slice(before).map((l) => l.pid));
    expect(pids.size).toBe(2);
    console.log(`workers: 2, ${version}: ${resumed} of ${ATTEMPTS} resumed`);
  });
});

describe('after SIGHUP removes the trust anchor', () => {
  it('refuses a saved session on every worker (TLS 1.2 and 1.3)', async () => {
    const sessions = { 'TLSv1.2': (await attempt(target('TLSv1.2'))).latest, 'TLSv1.3': (await attempt(target('TLSv1.3'))).latest };
    const other = join(dir, 'other-root.pem');
    writeFileSync(other, (await createRoot('Unrelated Root')).certPem);
    writeConfigFolder(dir, pki, { ...settings(), clientAuth: { trustAnchors: [other] } }, apps());
    const reloads = lines.filter((l) => l.msg === 'configuration reloaded').length;
    child.kill('SIGHUP');
    await eventually(() => lines.filter((l) => l.msg === 'configuration reloaded').length >= reloads + 3, 10_000);
    upstream.received.length = 0;
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      for (let i = 0; i < 4; i++) {
        expect(await attempt(target(version), sessions[version])).toMatchObject({ reused: false, status: undefined });
      }
    }
    expect(upstream.received).toHaveLength(0);
  });
});
