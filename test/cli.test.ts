// The CLI as a user runs it: the compiled bin/hubgate.js in a child process (`npm test` builds
// dist/ first).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, cpSync, rmSync, existsSync } from 'node:fs';
import { createHmac, X509Certificate } from 'node:crypto';
import { freePort } from './helpers/net.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useTestbed, shopApp } from './helpers/fixture.js';
import { writeConfigFolder, SECRET } from './helpers/gateway.js';
import { post } from './helpers/client.js';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'bin/hubgate.js');

function run(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, timeout: 20_000 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Starts a long-running child and resolves once a stdout line matches. */
function startChild(cmd: string[], cwd: string, ready: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, cmd, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in time:\n${out}`)), 20_000);
    const check = () => {
      if (ready.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolveStart({ child, output: () => out });
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready:\n${out}`)));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
}

const { pki, upstream } = useTestbed();
let dir: string;
let configFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hubgate-cli-'));
  configFile = writeConfigFolder(dir, pki, { log: { level: 'info' } }, [shopApp(upstream)]);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('hubgate check', () => {
  it('prints trust anchors with fingerprint and expiry, and the routes', async () => {
    const r = await run(['check', '--config', configFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(pki.root.cert.subject.split(',')[0]!);
    expect(r.stdout).toMatch(/sha256: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(r.stdout).toContain(`shop: */webhooks/shop → ${upstream.url}/hook`);
    expect(r.stdout).not.toContain(SECRET);
  });

  it('warns when the DigiCert root is the only trust anchor (Meta’s 2026 CA change)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'hubgate-cli-'));
    const file = writeConfigFolder(d, pki, { clientAuth: { trustAnchors: [join(ROOT, 'certs/DigiCert_High_Assurance_EV_Root_CA.pem')] } }, [
      { name: 'shop', path: '/webhooks/shop', upstream: 'http://127.0.0.1:3000/' },
    ]);
    const r = await run(['check', '--config', file]);
    rmSync(d, { recursive: true, force: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('74:31:E5:F4:C3:C1:CE:46:90:77:4F:0B:61:E0:54:40:88:3B:A9:A0:1E:D0:0B:A6:AB:D7:80:6E:D3:B1:18:CF');
    expect(r.stderr).toContain('meta-outbound-api-ca-2025-12.pem');
  });

  it('exits 1 with the file and key path of a mistake', async () => {
    const d = mkdtempSync(join(tmpdir(), 'hubgate-cli-'));
    const file = writeConfigFolder(d, pki, {}, [{ name: 'shop', path: '/webhooks/shop', upstream: 'ftp://example.com/' }]);
    const r = await run(['check', '--config', file]);
    rmSync(d, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/apps\/shop\.yaml: upstream: must be an http:\/\/ URL/);
  });
});

describe('hubgate serve', () => {
  it('exits 1 before listening on an invalid config', async () => {
    const d = mkdtempSync(join(tmpdir(), 'hubgate-cli-'));
    const file = writeConfigFolder(d, pki, { clientAuth: { commonName: 'x' } }, [{ name: 'shop', path: '/s', upstream: 'http://127.0.0.1:1/' }]);
    const r = await run(['serve', '--config', file]);
    rmSync(d, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('gateway.yaml: clientAuth.commonName: unknown key');
  });

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    upstream.respondWith((_r, res) => setTimeout(() => { res.writeHead(200); res.end('slow but fine'); }, 700));
    const { child, output } = await startChild([BIN, 'serve', '--config', configFile], dir, /hubgate listening/);
    const listening = JSON.parse(output().split('\n').find((l) => l.includes('hubgate listening'))!) as { listen: string };
    const port = Number(listening.listen.split(':').pop());
    const inFlight = post({ port, ca: pki.serverCa, client: pki.meta, path: '/webhooks/shop', body: '{"n":1}', secret: SECRET });
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    expect(await inFlight).toMatchObject({ kind: 'response', status: 200, body: 'slow but fine' });
    expect(await exitOf(child)).toBe(0);
    expect(output()).toContain('draining');
  });
});

describe('hubgate sign', () => {
  it('prints the X-Hub-Signature-256 value of a file, the secret read from the environment', async () => {
    const body = join(dir, 'body.json');
    writeFileSync(body, '{"a":"caf\\u00e9"}');
    const r = await run(['sign', '--secret-env', 'HG_TEST_SECRET', body], { env: { HG_TEST_SECRET: 's3cr3t' } });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('sha256=' + createHmac('sha256', 's3cr3t').update(readFileSync(body)).digest('hex'));
  });

  it('refuses to run without the secret variable', async () => {
    const r = await run(['sign', '--secret-env', 'HG_UNSET_VARIABLE'], { input: '{}' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HG_UNSET_VARIABLE');
  });
});

describe('hubgate dev-pki', () => {
  it('writes root → intermediate → client leaf (leaf + intermediate bundle) and a localhost server certificate', async () => {
    const out = join(dir, 'pki');
    const r = await run(['dev-pki', '--out', out]);
    expect(r.code).toBe(0);
    const root = new X509Certificate(readFileSync(join(out, 'root.crt')));
    const bundle = readFileSync(join(out, 'client.crt'), 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(bundle).toHaveLength(2);
    const [leaf, intermediate] = bundle.map((p) => new X509Certificate(p));
    expect(leaf!.subject).toContain('CN=client.webhooks.fbclientcerts.com');
    expect(leaf!.verify(intermediate!.publicKey)).toBe(true);
    expect(intermediate!.verify(root.publicKey)).toBe(true);
    expect(leaf!.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    const server = new X509Certificate(readFileSync(join(out, 'server.crt')));
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(existsSync(join(out, 'client.key'))).toBe(true);
  });
});

describe('npm start (the development profile)', () => {
  it('generates its PKI, serves, and prints a curl command that gets 200 through the pipeline', async () => {
    const work = mkdtempSync(join(tmpdir(), 'hubgate-dev-'));
    cpSync(join(ROOT, 'config'), join(work, 'config'), { recursive: true });
    const [gwPort, adminPort, appPort] = [await freePort(), await freePort(), await freePort()];
    const gwFile = join(work, 'config/gateway.yaml');
    writeFileSync(gwFile, readFileSync(gwFile, 'utf8').replace('port: 8443', `port: ${gwPort}`).replace('port: 9090', `port: ${adminPort}`));
    const appFile = join(work, 'config/apps/demo.yaml');
    writeFileSync(appFile, readFileSync(appFile, 'utf8').replace('127.0.0.1:3000', `127.0.0.1:${appPort}`));
    const { child, output } = await startChild([join(ROOT, 'dist/dev/start.js')], work, /Stop with Ctrl-C/);
    try {
      const curl = output().split('\n').filter((l) => l.startsWith('  curl') || l.startsWith('    ')).join(' ').replace(/\\/g, ' ');
      expect(curl).toContain('--cert var/dev-pki/client.crt');
      const result = await new Promise<string>((done) =>
        execFile('bash', ['-c', `${curl} -sS -o /dev/null -w '%{http_code}'`], { cwd: work }, (_e, stdout, stderr) => done(stdout + stderr)),
      );
      expect(result).toBe('200');
    } finally {
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
      rmSync(work, { recursive: true, force: true });
    }
  });
});
