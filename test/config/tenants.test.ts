// SPEC.md §9 configuration: `tenants` inline or `tenantsDir`, `fanOut`; every mistake refused as
// `<file>: <key path>: <message>`, never with a secret in it.
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { summarize } from '../../src/cli/check.js';
import { ConfigError, ConfigErrors, displayPath } from '../../src/config/errors.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { writeConfigFolder, type AppSpec } from '../helpers/gateway.js';

let pki: TestPki;
let dir: string;

beforeAll(async () => {
  pki = await createTestPki();
});
afterAll(() => pki?.cleanup());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hubgate-tenants-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ACME = { name: 'acme', phoneNumberIds: ['106540352242922'], upstream: 'http://10.0.2.15:8080/whatsapp' };
const GLOBEX = { name: 'globex', entryIds: ['102290129340398'], upstream: 'http://10.0.2.16:8080/hook' };
const wa = (extra: Record<string, unknown>): AppSpec => ({ name: 'wa', path: '/webhooks/wa', upstream: 'http://127.0.0.1:3000/hook', dedupe: { enabled: true }, ...extra });
const appFile = (): string => join(dir, 'apps', 'wa.yaml');

function refusal(file: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig(file, env);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ConfigErrors) return err.message;
    throw err;
  }
  throw new Error(`expected ${file} to be refused, but it loaded`);
}

const at = (file: string, keyPath: string): string => `${displayPath(file)}: ${keyPath}: `;

function tenantFile(name: string, content: Record<string, unknown> | string): string {
  mkdirSync(join(dir, 'apps', 'tenants'), { recursive: true });
  const file = join(dir, 'apps', 'tenants', `${name}.yaml`);
  writeFileSync(file, typeof content === 'string' ? content : stringify(content));
  return file;
}

describe('valid tenant configs', () => {
  it('loads inline tenants and fan-out, with secrets from env, file and value', () => {
    writeFileSync(join(dir, 'globex.secret'), 'globex-signing\n');
    const file = writeConfigFolder(dir, pki, {}, [
      wa({
        tenants: [{ ...ACME, signingSecret: { env: 'ACME_SIGNING' } }, { ...GLOBEX, signingSecret: { file: '../globex.secret' } }],
        fanOut: [{ name: 'analytics', upstream: 'http://10.0.3.1:9000/events', required: false }, { name: 'v2', upstream: 'http://10.0.3.2/' }],
      }),
    ]);
    const app = loadConfig(file, { ACME_SIGNING: 'acme-signing' }).apps[0]!;
    expect(app.tenants.map((t) => [t.name, t.phoneNumberIds, t.entryIds, t.upstreamOrigin, t.upstreamPath, t.signingSecret?.toString(), t.required])).toEqual([
      ['acme', ['106540352242922'], [], 'http://10.0.2.15:8080', '/whatsapp', 'acme-signing', true],
      ['globex', [], ['102290129340398'], 'http://10.0.2.16:8080', '/hook', 'globex-signing', true],
    ]);
    expect(app.fanOut.map((f) => [f.name, f.required, f.upstreamPath])).toEqual([
      ['analytics', false, '/events'],
      ['v2', true, ''],
    ]);
  });

  it('loads one file per tenant from tenantsDir, secrets relative to each file', () => {
    tenantFile('acme', { ...ACME, signingSecret: { file: 'acme.secret' } });
    writeFileSync(join(dir, 'apps', 'tenants', 'acme.secret'), 's3cret');
    tenantFile('globex', GLOBEX);
    writeFileSync(join(dir, 'apps', 'tenants', 'README.txt'), 'not a tenant');
    const app = loadConfig(writeConfigFolder(dir, pki, {}, [wa({ tenantsDir: 'tenants' })]), {}).apps[0]!;
    expect(app.tenants.map((t) => [t.name, t.file, t.signingSecret?.toString()])).toEqual([
      ['acme', join(dir, 'apps', 'tenants', 'acme.yaml'), 's3cret'],
      ['globex', join(dir, 'apps', 'tenants', 'globex.yaml'), undefined],
    ]);
    expect(app.tenantsDir).toBe(join(dir, 'apps', 'tenants'));
  });

  it('has no tenants and no fan-out by default', () => {
    const app = loadConfig(writeConfigFolder(dir, pki, {}, [{ name: 'shop', path: '/s', upstream: 'http://127.0.0.1:1/' }]), {}).apps[0]!;
    expect([app.tenants, app.fanOut, app.tenantsDir]).toEqual([[], [], undefined]);
  });
});

describe('tenant mistakes', () => {
  it('refuses tenants without dedupe, saying why', () => {
    const file = writeConfigFolder(dir, pki, {}, [wa({ dedupe: { enabled: false }, tenants: [ACME] })]);
    expect(refusal(file)).toMatch(new RegExp(`^${escape(at(appFile(), 'dedupe.enabled'))}must be true with tenants, tenantsDir or fanOut: Meta retries`));
  });

  it('refuses fanOut without dedupe', () => {
    const file = writeConfigFolder(dir, pki, {}, [{ ...wa({ fanOut: [{ name: 'sink', upstream: 'http://10.0.0.1/' }] }), dedupe: undefined }]);
    expect(refusal(file)).toContain(at(appFile(), 'dedupe.enabled'));
  });

  it('refuses a phone number id listed by two tenants, naming both', () => {
    const file = writeConfigFolder(dir, pki, {}, [wa({ tenants: [ACME, { ...GLOBEX, phoneNumberIds: ['1', '106540352242922'] }] })]);
    expect(refusal(file)).toBe(`${at(appFile(), 'tenants[1].phoneNumberIds[1]')}"106540352242922" is already listed by tenant acme (wa.yaml): an id routes to one tenant`);
  });

  it('refuses an entry id listed twice, across tenant files', () => {
    tenantFile('a', { ...ACME, entryIds: ['777'] });
    const second = tenantFile('b', { ...GLOBEX, entryIds: ['777'] });
    const file = writeConfigFolder(dir, pki, {}, [wa({ tenantsDir: 'tenants' })]);
    expect(refusal(file)).toBe(`${at(second, 'entryIds[0]')}"777" is already listed by tenant acme (a.yaml): an id routes to one tenant`);
  });

  it('refuses a tenant without an upstream', () => {
    const { upstream: _u, ...noUpstream } = ACME;
    expect(refusal(writeConfigFolder(dir, pki, {}, [wa({ tenants: [noUpstream] })]))).toBe(`${at(appFile(), 'tenants[0].upstream')}is required`);
    const tf = tenantFile('acme', noUpstream);
    rmSync(appFile(), { force: true });
    expect(refusal(writeConfigFolder(dir, pki, {}, [wa({ tenantsDir: 'tenants' })]))).toBe(`${at(tf, 'upstream')}is required`);
  });

  it('refuses a tenant that lists no id', () => {
    expect(refusal(writeConfigFolder(dir, pki, {}, [wa({ tenants: [{ name: 'idle', upstream: 'http://10.0.0.1/' }] })]))).toBe(
      `${at(appFile(), 'tenants[0]')}must list at least one phoneNumberIds or entryIds value`,
    );
  });

  it('refuses an unquoted id, which YAML would read as an inexact number', () => {
    const text = 'name: wa\npath: /webhooks/wa\nupstream: http://127.0.0.1:3000/hook\nappSecret: { value: x }\ndedupe: { enabled: true }\ntenants:\n  - name: ig\n    entryIds: [17841400000000001]\n    upstream: http://10.0.0.1/\n';
    const file = writeConfigFolder(dir, pki, {}, []);
    writeFileSync(appFile(), text);
    expect(refusal(file)).toMatch(new RegExp(`^${escape(at(appFile(), 'tenants[0].entryIds[0]'))}must be a quoted string`));
  });

  it('refuses two destinations with one name, and the reserved name upstream', () => {
    expect(refusal(writeConfigFolder(dir, pki, {}, [wa({ tenants: [ACME], fanOut: [{ name: 'acme', upstream: 'http://10.0.0.1/' }] })]))).toBe(
      `${at(appFile(), 'fanOut[0].name')}"acme" is already the name of tenant acme (wa.yaml)`,
    );
    expect(refusal(writeConfigFolder(dir, pki, {}, [wa({ tenants: [{ ...ACME, name: 'upstream' }] })]))).toBe(
      `${at(appFile(), 'tenants[0].name')}"upstream" names the app's own upstream: choose another name`,
    );
  });

  it('refuses tenants and tenantsDir together, and a tenantsDir that is not a folder', () => {
    expect(refusal(writeConfigFolder(dir, pki, {}, [wa({ tenants: [ACME], tenantsDir: 'tenants' })]))).toBe(`${at(appFile(), 'tenantsDir')}use either tenants or tenantsDir, not both`);
    expect(refusal(writeConfigFolder(dir, pki, {}, [wa({ tenantsDir: 'missing' })]))).toBe(`${at(appFile(), 'tenantsDir')}missing is not a readable folder`);
  });

  it('refuses an unknown key in a tenant file and in fanOut', () => {
    const tf = tenantFile('acme', { ...ACME, phone: '1' });
    expect(refusal(writeConfigFolder(dir, pki, {}, [wa({ tenantsDir: 'tenants' })]))).toBe(`${at(tf, 'phone')}unknown key`);
    rmSync(tf);
    expect(refusal(writeConfigFolder(dir, pki, {}, [wa({ fanOut: [{ name: 's', upstream: 'http://10.0.0.1/', requried: false }] })]))).toBe(`${at(appFile(), 'fanOut[0].requried')}unknown key`);
  });

  it('names a missing signing secret without its value, and never echoes a secret', () => {
    const file = writeConfigFolder(dir, pki, {}, [wa({ tenants: [{ ...ACME, signingSecret: { env: 'ACME_SIGNING' } }] })]);
    expect(refusal(file)).toBe(`${at(appFile(), 'tenants[0].signingSecret')}environment variable ACME_SIGNING is not set or empty`);
    const bad = writeConfigFolder(dir, pki, {}, [wa({ tenants: [{ ...ACME, signingSecret: { value: 'do-not-echo-me', env: 'X' } }] })]);
    expect(refusal(bad)).not.toContain('do-not-echo-me');
  });
});

describe('hubgate check', () => {
  it('prints each app\'s tenants and fan-out, counting ids and never printing a secret', () => {
    mkdirSync(join(dir, 'apps', 'tenants'), { recursive: true });
    tenantFile('acme', { ...ACME, signingSecret: { value: 'acme-signing-value' } });
    tenantFile('globex', { ...GLOBEX, phoneNumberIds: ['1', '2'] });
    const file = writeConfigFolder(dir, pki, {}, [wa({ tenantsDir: 'tenants', fanOut: [{ name: 'analytics', upstream: 'http://10.0.3.1:9000/events', required: false }] })]);
    const out = summarize(loadConfig(file, {}));
    expect(out).toContain(`    tenants (2 from ${displayPath(join(dir, 'apps', 'tenants'))}):\n`);
    expect(out).toContain('      acme: 1 phone number id, 0 entry ids → http://10.0.2.15:8080/whatsapp  [own signing secret]\n');
    expect(out).toContain('      globex: 2 phone number ids, 1 entry id → http://10.0.2.16:8080/hook\n');
    expect(out).toContain('      any other event → http://127.0.0.1:3000/hook\n');
    expect(out).toContain('    fanOut analytics: every event → http://10.0.3.1:9000/events  [not required]\n');
    expect(out).not.toContain('acme-signing-value');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
