// The config loader refuses every kind of mistake with one message of the shape
// `<file>: <key path>: <message>` (SPEC.md §3), and never puts a secret in it.
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, warningsFor } from '../../src/config/load.js';
import { ConfigError, ConfigErrors, displayPath } from '../../src/config/errors.js';
import { createTestPki, issue, type TestPki } from '../helpers/pki.js';
import { writeConfigFolder, SECRET, type AppSpec } from '../helpers/gateway.js';

const DIGICERT_ROOT = resolve('certs/DigiCert_High_Assurance_EV_Root_CA.pem');
const UPSTREAM = 'http://127.0.0.1:3000/hook';
const SHOP: AppSpec = { name: 'shop', path: '/webhooks/shop', upstream: UPSTREAM };

let pki: TestPki;
let dir: string;

beforeAll(async () => {
  pki = await createTestPki();
});
afterAll(() => pki?.cleanup());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hubgate-load-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A valid config folder with `overrides` merged into gateway.yaml. */
function folder(overrides: Record<string, unknown> = {}, apps: AppSpec[] = [SHOP]): string {
  return writeConfigFolder(dir, pki, overrides, apps);
}

function writeApp(name: string, content: Record<string, unknown> | string): string {
  const file = join(dir, 'apps', `${name}.yaml`);
  writeFileSync(file, typeof content === 'string' ? content : stringify(content));
  return file;
}

function writeRaw(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The message the loader refuses with; fails the test if the config loads. */
function refusal(file: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig(file, env);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ConfigErrors) return err.message;
    throw err;
  }
  throw new Error(`expected ${file} to be refused, but it loaded`);
}

/** `<file>: <key path>: ` as the operator sees it. */
function at(file: string, keyPath: string): string {
  return `${displayPath(file)}: ${keyPath}: `;
}

describe('config messages', () => {
  it('shows a file under the working directory relative to it', () => {
    expect(displayPath(join(process.cwd(), 'config', 'apps', 'shop.yaml'))).toBe(join('config', 'apps', 'shop.yaml'));
  });

  it('shows a file outside the working directory as an absolute path', () => {
    const file = join(dir, 'gateway.yaml');
    expect(displayPath(file)).toBe(file);
  });
});

describe('gateway.yaml mistakes', () => {
  it('refuses an unknown top-level key', () => {
    const file = folder({ listn: { port: 8443 } });
    expect(refusal(file)).toBe(`${at(file, 'listn')}unknown key`);
  });

  it('refuses a typo in a nested key (clientAuth.commonName)', () => {
    const file = folder({ clientAuth: { commonName: ['client.webhooks.fbclientcerts.com'] } });
    expect(refusal(file)).toBe(`${at(file, 'clientAuth.commonName')}unknown key`);
  });

  it('reports every schema mistake of a file in one message, one line each', () => {
    const file = folder({ listen: { port: '8443' }, workers: 'many' });
    expect(refusal(file).split('\n')).toEqual([
      `${at(file, 'listen.port')}must be number, not string`,
      `${at(file, 'workers')}must be a positive integer or "auto"`,
    ]);
  });

  it('names every unknown key of the same object', () => {
    const file = folder({ listn: {}, adimn: {} });
    expect(refusal(file).split('\n')).toEqual([`${at(file, 'listn')}unknown key`, `${at(file, 'adimn')}unknown key`]);
  });

  it('refuses a port given as a string', () => {
    const file = folder({ listen: { port: '8443' } });
    expect(refusal(file)).toBe(`${at(file, 'listen.port')}must be number, not string`);
  });

  it('refuses a config without the required tls key', () => {
    const file = folder({ tls: undefined });
    expect(refusal(file)).toBe(`${at(file, 'tls')}is required`);
  });

  it('names the line of invalid YAML', () => {
    const file = writeRaw('gateway.yaml', 'listen:\n  host: 127.0.0.1\n  port: [8443\nadmin: {}\n');
    expect(refusal(file)).toMatch(new RegExp(`^${escape(displayPath(file))}: line [34]: invalid YAML: `));
  });

  it('refuses a duplicate YAML key and names its line', () => {
    const text = [
      `tls: { cert: ${pki.serverCertFile}, key: ${pki.serverKeyFile} }`,
      `clientAuth: { trustAnchors: [${pki.rootFile}] }`,
      'workers: 1',
      'workers: 2',
      '',
    ].join('\n');
    const file = writeRaw('gateway.yaml', text);
    expect(refusal(file)).toBe(`${at(file, 'line 4')}invalid YAML: Map keys must be unique`);
  });

  it('refuses an unreadable tls.cert file', () => {
    const missing = join(dir, 'nope.crt');
    const file = folder({ tls: { cert: missing } });
    expect(refusal(file)).toBe(`${at(file, 'tls.cert')}cannot read server certificate ${missing} (ENOENT)`);
  });

  it('refuses a tls.cert file that holds no certificate', () => {
    const file = folder({ tls: { cert: writeRaw('server.crt', 'hello\n') } });
    expect(refusal(file)).toBe(`${at(file, 'tls.cert')}holds no PEM certificate`);
  });

  it('refuses a trust anchor whose PEM cannot be parsed', () => {
    const broken = writeRaw('broken.pem', '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    const file = folder({ clientAuth: { trustAnchors: [pki.rootFile, broken] } });
    expect(refusal(file)).toMatch(new RegExp(`^${escape(at(file, 'clientAuth.trustAnchors[1]'))}certificate #1 is not parsable PEM`));
  });

  it('refuses an unparsable tls.key', () => {
    const file = folder({ tls: { key: writeRaw('server.key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') } });
    expect(refusal(file)).toBe(`${at(file, 'tls.key')}is not a parsable PEM private key`);
  });

  it('refuses a tls.key that does not match the certificate', async () => {
    const other = await issue({ subject: 'CN=other' });
    const file = folder({ tls: { key: writeRaw('other.key', other.keyPem) } });
    expect(refusal(file)).toBe(`${at(file, 'tls.key')}does not match the certificate in tls.cert`);
  });

  it('refuses an empty trustAnchors list', () => {
    const file = folder({ clientAuth: { trustAnchors: [] } });
    expect(refusal(file)).toBe(`${at(file, 'clientAuth.trustAnchors')}must list at least one PEM file`);
  });

  it('refuses a bad CIDR in allowlist.extraCidrs and names its index', () => {
    const file = folder({ allowlist: { extraCidrs: ['10.0.0.0/8', '10.0.0.0/33'] } });
    expect(refusal(file)).toBe(`${at(file, 'allowlist.extraCidrs[1]')}"10.0.0.0/33" is not an IP address or CIDR prefix (with no host bits set)`);
  });

  it('refuses a prefix with host bits set, which the allowlist would not match as written', () => {
    const file = folder({ allowlist: { extraCidrs: ['10.0.0.1/8'] } });
    expect(refusal(file)).toBe(`${at(file, 'allowlist.extraCidrs[0]')}"10.0.0.1/8" is not an IP address or CIDR prefix (with no host bits set)`);
  });

  it('refuses a bad address in proxyProtocol.trustedProxies', () => {
    const file = folder({ proxyProtocol: { enabled: true, trustedProxies: ['lb.internal'] } });
    expect(refusal(file)).toBe(`${at(file, 'proxyProtocol.trustedProxies[0]')}"lb.internal" is not an IP address or CIDR prefix (with no host bits set)`);
  });

  it('refuses PROXY protocol enabled without trustedProxies', () => {
    const file = folder({ proxyProtocol: { enabled: true } });
    expect(refusal(file)).toMatch(new RegExp(`^${escape(at(file, 'proxyProtocol.trustedProxies'))}must list`));
  });

  it('refuses workers: 0', () => {
    const file = folder({ workers: 0 });
    expect(refusal(file)).toMatch(new RegExp(`^${escape(at(file, 'workers'))}(must be a positive integer or "auto"|Number must be greater than 0)$`));
  });

  it('refuses workers: "many"', () => {
    const file = folder({ workers: 'many' });
    expect(refusal(file)).toBe(`${at(file, 'workers')}must be a positive integer or "auto"`);
  });

  it('accepts workers: auto', () => {
    expect(loadConfig(folder({ workers: 'auto' }), {}).workers).toBe('auto');
  });

  it('refuses a missing apps folder', () => {
    const file = folder({ apps: 'missing-apps/' });
    expect(refusal(file)).toBe(`${at(file, 'apps')}missing-apps/ is not a readable folder`);
  });

  it('refuses an apps folder without any app file', () => {
    const file = folder({}, []);
    writeFileSync(join(dir, 'apps', 'README.md'), 'not an app\n');
    expect(refusal(file)).toBe(`${at(file, 'apps')}no *.yaml app file in apps/`);
  });
});

describe('app file mistakes', () => {
  it('refuses an upstream that is not an http:// URL', () => {
    const file = folder({}, [{ ...SHOP, upstream: '127.0.0.1:3000/hook' }]);
    expect(refusal(file)).toMatch(new RegExp(`^${escape(at(join(dir, 'apps', 'shop.yaml'), 'upstream'))}must be an http:// URL`));
  });

  it('refuses an https:// upstream', () => {
    const file = folder({}, [{ ...SHOP, upstream: 'https://127.0.0.1:3000/hook' }]);
    expect(refusal(file)).toContain(`${at(join(dir, 'apps', 'shop.yaml'), 'upstream')}must be an http:// URL`);
  });

  it('refuses an upstream carrying credentials', () => {
    const file = folder({}, [{ ...SHOP, upstream: 'http://user:pass@127.0.0.1:3000/hook' }]);
    const message = refusal(file);
    expect(message).toContain(`${at(join(dir, 'apps', 'shop.yaml'), 'upstream')}must be an http:// URL`);
    expect(message).not.toContain('pass@');
  });

  it('refuses a path that does not start with /', () => {
    const file = folder({}, [{ ...SHOP, path: 'webhooks/shop' }]);
    expect(refusal(file)).toBe(`${at(join(dir, 'apps', 'shop.yaml'), 'path')}must start with / and hold no query, fragment or space`);
  });

  it('refuses a path with a trailing slash', () => {
    const file = folder({}, [{ ...SHOP, path: '/webhooks/shop/' }]);
    expect(refusal(file)).toMatch(new RegExp(`^${escape(at(join(dir, 'apps', 'shop.yaml'), 'path'))}must not end with /`));
  });

  it('refuses a path with a .. segment', () => {
    const file = folder({}, [{ ...SHOP, path: '/webhooks/../admin' }]);
    expect(refusal(file)).toBe(`${at(join(dir, 'apps', 'shop.yaml'), 'path')}must not contain . or .. segments`);
  });

  it('refuses an unknown key in an app file', () => {
    const file = folder({}, [{ ...SHOP, verify_token: { value: 'x' } }]);
    expect(refusal(file)).toBe(`${at(join(dir, 'apps', 'shop.yaml'), 'verify_token')}unknown key`);
  });

  it('names the environment variable of a missing appSecret', () => {
    const file = folder({}, [{ ...SHOP, appSecret: { env: 'SHOP_APP_SECRET' } }]);
    const message = refusal(file, { OTHER_APP_SECRET: 'unrelated-secret-value-42' });
    expect(message).toBe(`${at(join(dir, 'apps', 'shop.yaml'), 'appSecret')}environment variable SHOP_APP_SECRET is not set or empty`);
    expect(message).not.toContain('unrelated-secret-value-42');
  });

  it('treats an empty environment variable as missing', () => {
    const file = folder({}, [{ ...SHOP, appSecret: { env: 'SHOP_APP_SECRET' } }]);
    expect(refusal(file, { SHOP_APP_SECRET: '' })).toContain(`${at(join(dir, 'apps', 'shop.yaml'), 'appSecret')}environment variable SHOP_APP_SECRET`);
  });

  it('refuses a missing secret file', () => {
    const file = folder({}, [{ ...SHOP, appSecret: { file: 'secrets/shop' } }]);
    expect(refusal(file)).toBe(`${at(join(dir, 'apps', 'shop.yaml'), 'appSecret')}cannot read secret file secrets/shop (ENOENT)`);
  });

  it('refuses an empty secret file', () => {
    mkdirSync(join(dir, 'apps', 'secrets'), { recursive: true });
    writeFileSync(join(dir, 'apps', 'secrets', 'shop'), '\n');
    const file = folder({}, [{ ...SHOP, appSecret: { file: 'secrets/shop' } }]);
    expect(refusal(file)).toBe(`${at(join(dir, 'apps', 'shop.yaml'), 'appSecret')}secret file secrets/shop is empty`);
  });

  it('refuses a missing previousAppSecrets entry and names its index', () => {
    const file = folder({}, [{ ...SHOP, previousAppSecrets: [{ value: 'old-one' }, { env: 'SHOP_OLD_SECRET' }] }]);
    expect(refusal(file)).toBe(
      `${at(join(dir, 'apps', 'shop.yaml'), 'previousAppSecrets[1]')}environment variable SHOP_OLD_SECRET is not set or empty`,
    );
  });

  it('refuses a secret reference with two keys', () => {
    const file = folder({}, [{ ...SHOP, appSecret: { env: 'SHOP_APP_SECRET', value: 'two-forms-secret' } }]);
    const message = refusal(file, { SHOP_APP_SECRET: 'x' });
    expect(message).toBe(`${at(join(dir, 'apps', 'shop.yaml'), 'appSecret')}must be one of { env: NAME }, { file: PATH } or { value: "…" }`);
    expect(message).not.toContain('two-forms-secret');
  });

  it('refuses a secret given as a bare string', () => {
    const file = folder({}, [{ ...SHOP, appSecret: 'bare-string-secret' }]);
    const message = refusal(file);
    expect(message).toBe(`${at(join(dir, 'apps', 'shop.yaml'), 'appSecret')}must be one of { env: NAME }, { file: PATH } or { value: "…" }`);
    expect(message).not.toContain('bare-string-secret');
  });

  it('refuses two apps with the same name', () => {
    const file = folder({}, [SHOP]);
    writeApp('shop-copy', { ...SHOP, path: '/webhooks/other', appSecret: { value: SECRET } });
    expect(refusal(file)).toBe(`${at(join(dir, 'apps', 'shop.yaml'), 'name')}"shop" is already used by shop-copy.yaml`);
  });

  it('refuses two apps routed on the same host and path', () => {
    const file = folder({}, [
      { ...SHOP, host: 'hooks.example.com' },
      { name: 'twin', path: '/webhooks/shop', upstream: UPSTREAM, host: 'HOOKS.example.com' },
    ]);
    expect(refusal(file)).toBe(`${at(join(dir, 'apps', 'twin.yaml'), 'path')}host and path are already routed by shop.yaml`);
  });

  it('accepts the same path on two different hosts', () => {
    const file = folder({}, [
      { ...SHOP, host: 'a.example.com' },
      { name: 'twin', path: '/webhooks/shop', upstream: UPSTREAM, host: 'b.example.com' },
    ]);
    expect(loadConfig(file, {}).apps.map((a) => a.name)).toEqual(['shop', 'twin']);
  });

  it('names the line of invalid YAML in an app file', () => {
    const file = folder({}, []);
    const app = writeApp('shop', 'name: shop\npath: /webhooks/shop\n  upstream: http://127.0.0.1:3000\n');
    expect(refusal(file)).toMatch(new RegExp(`^${escape(`${displayPath(app)}: line `)}\\d+: invalid YAML: `));
  });
});

describe('secrets in messages', () => {
  const DISTINCTIVE = 'zq-DISTINCTIVE-s3cr3t-7f1c';

  it('never puts a secret value in a message about another mistake', () => {
    const file = folder({}, [
      { ...SHOP, appSecret: { value: DISTINCTIVE }, verifyToken: { env: 'SHOP_VERIFY_TOKEN' } },
      { name: 'zz-broken', path: '/webhooks/broken', upstream: 'ftp://127.0.0.1/x' },
    ]);
    const message = refusal(file, { SHOP_VERIFY_TOKEN: `${DISTINCTIVE}-token` });
    expect(message).toContain('zz-broken.yaml: upstream: must be an http:// URL');
    expect(message).not.toContain(DISTINCTIVE);
  });

  it('never puts a secret value in a message about the same file', () => {
    const file = folder({}, [{ ...SHOP, appSecret: { value: DISTINCTIVE }, path: 'no-slash' }]);
    const message = refusal(file);
    expect(message).toContain('shop.yaml: path: ');
    expect(message).not.toContain(DISTINCTIVE);
  });

  it('never puts a secret value in a YAML syntax error', () => {
    const file = folder({}, []);
    writeApp('shop', `name: shop\npath: /webhooks/shop\nupstream: ${UPSTREAM}\nappSecret: { value: "${DISTINCTIVE}" }\nappSecret: { value: "${DISTINCTIVE}" }\n`);
    const message = refusal(file);
    expect(message).toContain('invalid YAML');
    expect(message).not.toContain(DISTINCTIVE);
  });

  it('never puts a secret file content in a message', () => {
    mkdirSync(join(dir, 'apps', 'secrets'), { recursive: true });
    writeFileSync(join(dir, 'apps', 'secrets', 'shop'), `${DISTINCTIVE}\n`);
    const file = folder({}, [{ ...SHOP, appSecret: { file: 'secrets/shop' }, verifyToken: { file: 'secrets/missing' } }]);
    const message = refusal(file);
    expect(message).toContain('shop.yaml: verifyToken: cannot read secret file secrets/missing');
    expect(message).not.toContain(DISTINCTIVE);
  });

  it('never puts a secret value in a wrong-type message', () => {
    const file = folder({}, [{ ...SHOP, appSecret: { value: DISTINCTIVE }, previousAppSecrets: { value: DISTINCTIVE } as unknown as unknown[] }]);
    const message = refusal(file);
    expect(message).toContain('shop.yaml: previousAppSecrets: ');
    expect(message).not.toContain(DISTINCTIVE);
  });
});

describe('valid configs', () => {
  it('reads verifyToken from a file without its trailing newline', () => {
    mkdirSync(join(dir, 'apps', 'secrets'), { recursive: true });
    writeFileSync(join(dir, 'apps', 'secrets', 'shop-token'), 'my-verify-token\n');
    const file = folder({}, [{ ...SHOP, verifyToken: { file: 'secrets/shop-token' } }]);
    expect(loadConfig(file, {}).apps[0]!.verifyToken).toEqual(Buffer.from('my-verify-token'));
  });

  it('reads secrets from the environment, a file and the YAML, current first', () => {
    mkdirSync(join(dir, 'apps', 'secrets'), { recursive: true });
    writeFileSync(join(dir, 'apps', 'secrets', 'old'), 'old-from-file\r\n');
    const file = folder({}, [
      { ...SHOP, appSecret: { env: 'SHOP_APP_SECRET' }, previousAppSecrets: [{ file: 'secrets/old' }, { value: 'older-inline' }] },
    ]);
    const app = loadConfig(file, { SHOP_APP_SECRET: 'current-from-env' }).apps[0]!;
    expect(app.secrets.map((s) => s.toString())).toEqual(['current-from-env', 'old-from-file', 'older-inline']);
  });

  it('applies the documented defaults', () => {
    writeFileSync(join(dir, 'gateway.yaml'), stringify({
      tls: { cert: pki.serverCertFile, key: pki.serverKeyFile },
      clientAuth: { trustAnchors: [pki.rootFile] },
    }));
    mkdirSync(join(dir, 'apps'));
    writeApp('shop', { ...SHOP, appSecret: { value: SECRET } });
    const config = loadConfig(join(dir, 'gateway.yaml'), {});
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8443 });
    expect(config.clientAuth.commonNames).toEqual(['client.webhooks.fbclientcerts.com']);
    expect(config.clientAuth.maxChainDepth).toBe(3);
    expect(config.clientAuth.verificationWithoutCertificate).toBe(true);
    expect(config.limits).toMatchObject({
      maxBodyBytes: 4_194_304, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, upstreamTimeoutMs: 20_000,
    });
    expect(config.allowlist).toMatchObject({
      enabled: false, asn: 'AS32934', whois: { host: 'whois.radb.net', port: 43, timeoutMs: 10_000 },
      refreshSeconds: 86_400, maintainers: [], extraCidrs: [],
    });
    expect(config.proxyProtocol).toMatchObject({ enabled: false, trustedProxies: [] });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.log).toEqual({ level: 'info' });
    expect(config.workers).toBe(1);
    expect(config.apps[0]!.verifyToken).toBeUndefined();
    expect(config.apps[0]!.secrets).toEqual([Buffer.from(SECRET)]);
  });

  it('resolves relative paths against the folder of the file they appear in', () => {
    const conf = join(dir, 'conf');
    mkdirSync(join(conf, 'certs'), { recursive: true });
    mkdirSync(join(conf, 'routes', 'secrets'), { recursive: true });
    copyFileSync(pki.serverCertFile, join(conf, 'certs', 'server.crt'));
    copyFileSync(pki.serverKeyFile, join(conf, 'certs', 'server.key'));
    copyFileSync(pki.rootFile, join(conf, 'certs', 'root.pem'));
    writeFileSync(join(conf, 'routes', 'secrets', 'shop'), 'secret-from-relative-file\n');
    writeFileSync(join(conf, 'gateway.yaml'), stringify({
      tls: { cert: 'certs/server.crt', key: './certs/server.key' },
      clientAuth: { trustAnchors: ['certs/root.pem'] },
      allowlist: { cacheFile: '../var/allowlist.json' },
      apps: 'routes',
    }));
    writeFileSync(join(conf, 'routes', 'shop.yaml'), stringify({ ...SHOP, appSecret: { file: 'secrets/shop' } }));
    const config = loadConfig(join(conf, 'gateway.yaml'), {});
    expect(config.tls.certFile).toBe(join(conf, 'certs', 'server.crt'));
    expect(config.clientAuth.trustAnchors[0]!.file).toBe(join(conf, 'certs', 'root.pem'));
    expect(config.allowlist.cacheFile).toBe(join(dir, 'var', 'allowlist.json'));
    expect(config.apps[0]!.file).toBe(join(conf, 'routes', 'shop.yaml'));
    expect(config.apps[0]!.secrets[0]!.toString()).toBe('secret-from-relative-file');
  });

  it('returns a frozen config', () => {
    const config = loadConfig(folder(), {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.apps[0])).toBe(true);
  });
});

describe('warningsFor', () => {
  it("warns when the DigiCert root is the only trust anchor, naming Meta's CA file", () => {
    const config = loadConfig(folder({ clientAuth: { trustAnchors: [DIGICERT_ROOT] } }), {});
    const warnings = warningsFor(config);
    expect(warnings.some((w) => w.includes('meta-outbound-api-ca-2025-12.pem'))).toBe(true);
    expect(config.warnings).toEqual(warnings);
  });

  it('does not warn about the Meta CA when another anchor is listed', () => {
    const config = loadConfig(folder({ clientAuth: { trustAnchors: [DIGICERT_ROOT, pki.rootFile] } }), {});
    expect(warningsFor(config).some((w) => w.includes('meta-outbound-api-ca-2025-12.pem'))).toBe(false);
    expect(config.warnings).toEqual([]);
  });

  it('does not warn about the Meta CA for a test PKI alone', () => {
    expect(loadConfig(folder(), {}).warnings).toEqual([]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
