// YAML → validated, paths resolved, secrets and certificates read → a frozen Config.
// The only place that reads configuration files or the environment (STYLE.md §2).
import { dirname, resolve, join, basename } from 'node:path';
import { parsePrefix } from '../allowlist/address.js';
import { gatewaySchema, appSchema, REDIS_URL, type GatewayFile, type AppFile } from './schema.js';
import { ConfigError } from './errors.js';
import { parseYaml, yamlFiles } from './yaml.js';
import { loadTenants } from './tenants.js';
import { readSecret } from './secrets.js';
import {
  readFileOrFail, parseCertificates, parsePrivateKey, assertKeyMatches,
  DIGICERT_EV_ROOT_SHA256, type CertificateInfo,
} from './pem.js';
import type { Config, AppConfig, TrustAnchor } from './types.js';
import { tlsPolicy, ticketKeys, revocation, crlWarnings } from './tls.js';

export type { Config, AppConfig, TrustAnchor, Destination, Tenant } from './types.js';

export const DEFAULT_CONFIG_FILE = 'config/gateway.yaml';

function checkCidrs(list: string[], file: string, key: string): void {
  // The same strict parser the allowlist matches with: host bits set (10.0.0.1/8) or leading
  // zeros are mistakes, not something to guess about.
  list.forEach((c, i) => {
    if (!parsePrefix(c.includes('/') ? c : `${c}/${c.includes(':') ? 128 : 32}`)) {
      throw new ConfigError(file, `${key}[${i}]`, `"${c}" is not an IP address or CIDR prefix (with no host bits set)`);
    }
  });
}

function loadTrustAnchors(paths: string[], file: string, dir: string): TrustAnchor[] {
  return paths.flatMap((p, i) => {
    const abs = resolve(dir, p);
    const key = `clientAuth.trustAnchors[${i}]`;
    return parseCertificates(readFileOrFail(abs, file, key, 'trust anchor'), file, key).map((c: CertificateInfo) => ({
      ...c,
      file: abs,
      isDigiCertEvRoot: c.fingerprint256 === DIGICERT_EV_ROOT_SHA256,
    }));
  });
}

/** `dedupe.store.redis` as a secret form → the URL (it may hold a password: never quoted). */
function resolveDedupe(dedupe: AppFile['dedupe'], file: string, dir: string, env: NodeJS.ProcessEnv): AppConfig['dedupe'] {
  const store = dedupe.store;
  if (typeof store === 'string' || !('redis' in store) || typeof store.redis === 'string') return { ...dedupe, store: store as AppConfig['dedupe']['store'] };
  const url = readSecret(store.redis, file, 'dedupe.store.redis', dir, env).toString('utf8');
  if (!REDIS_URL.test(url)) throw new ConfigError(file, 'dedupe.store.redis', 'must hold a redis:// or rediss:// URL');
  return { ...dedupe, store: { redis: url } };
}

function loadApp(path: string, env: NodeJS.ProcessEnv): AppConfig {
  const app: AppFile = parseYaml(path, appSchema);
  const dir = dirname(path);
  const upstream = new URL(app.upstream);
  const upstreamPath = upstream.pathname === '/' ? '' : upstream.pathname.replace(/\/$/, '');
  const { tenants, fanOut, tenantsDir } = loadTenants(app, path, env);
  return Object.freeze({
    name: app.name,
    file: path,
    host: app.host?.toLowerCase(),
    path: app.path === '/' ? '' : app.path,
    upstream: upstream.href,
    upstreamOrigin: upstream.origin,
    upstreamPath,
    secrets: [
      readSecret(app.appSecret, path, 'appSecret', dir, env),
      ...app.previousAppSecrets.map((s, i) => readSecret(s, path, `previousAppSecrets[${i}]`, dir, env)),
    ],
    verifyToken: app.verifyToken ? readSecret(app.verifyToken, path, 'verifyToken', dir, env) : undefined,
    dedupe: resolveDedupe(app.dedupe, path, dir, env),
    tenants,
    fanOut,
    tenantsDir,
  });
}

function loadApps(gatewayFile: string, dir: string, appsKey: string, env: NodeJS.ProcessEnv): AppConfig[] {
  const appsDir = resolve(dir, appsKey);
  const names = yamlFiles(appsDir);
  if (names === undefined) throw new ConfigError(gatewayFile, 'apps', `${appsKey} is not a readable folder`);
  if (names.length === 0) throw new ConfigError(gatewayFile, 'apps', `no *.yaml app file in ${appsKey}`);
  const apps = names.map((n) => loadApp(join(appsDir, n), env));
  const seenNames = new Map<string, string>();
  const seenRoutes = new Map<string, string>();
  for (const app of apps) {
    const clash = seenNames.get(app.name);
    if (clash) throw new ConfigError(app.file, 'name', `"${app.name}" is already used by ${basename(clash)}`);
    seenNames.set(app.name, app.file);
    const route = `${app.host ?? '*'}${app.path || '/'}`;
    const other = seenRoutes.get(route);
    if (other) throw new ConfigError(app.file, 'path', `host and path are already routed by ${basename(other)}`);
    seenRoutes.set(route, app.file);
  }
  return apps;
}

export function warningsFor(config: Pick<Config, 'clientAuth' | 'tls'>, now = Date.now()): string[] {
  const warnings: string[] = [...config.tls.policy.warnings];
  const anchors = config.clientAuth.trustAnchors;
  if (anchors.length > 0 && anchors.every((a) => a.isDigiCertEvRoot)) {
    warnings.push(
      'clientAuth.trustAnchors holds only the DigiCert High Assurance EV Root CA. Since 2026 Meta signs its ' +
        'client certificate with its own CA (the DigiCert-signed one expired 2026-04-15): download ' +
        "meta-outbound-api-ca-2025-12.pem from the mTLS section of Meta's webhooks guide and add it to " +
        'clientAuth.trustAnchors, or every real delivery will be refused.',
    );
  }
  warnings.push(...crlWarnings(config.clientAuth.crls, anchors, config.clientAuth.crlExpired, now));
  for (const a of anchors) {
    if (a.notAfter.getTime() < now) warnings.push(`trust anchor ${a.subject} (${a.file}) expired on ${a.notAfter.toISOString()}`);
    if (!a.isCa) warnings.push(`trust anchor ${a.subject} (${a.file}) is not a CA certificate`);
  }
  return warnings;
}

export function loadConfig(file: string = DEFAULT_CONFIG_FILE, env: NodeJS.ProcessEnv = process.env): Config {
  const path = resolve(file);
  const dir = dirname(path);
  const g: GatewayFile = parseYaml(path, gatewaySchema);
  checkCidrs(g.allowlist.extraCidrs, path, 'allowlist.extraCidrs');
  checkCidrs(g.proxyProtocol.trustedProxies, path, 'proxyProtocol.trustedProxies');
  if (g.proxyProtocol.enabled && g.proxyProtocol.trustedProxies.length === 0) {
    throw new ConfigError(path, 'proxyProtocol.trustedProxies', 'must list the load balancer addresses when PROXY protocol is enabled');
  }
  const certFile = resolve(dir, g.tls.cert);
  const certPem = readFileOrFail(certFile, path, 'tls.cert', 'server certificate');
  const serverChain = parseCertificates(certPem, path, 'tls.cert');
  const keyPem = readFileOrFail(resolve(dir, g.tls.key), path, 'tls.key', 'server key');
  const serverKey = parsePrivateKey(keyPem, path, 'tls.key');
  assertKeyMatches(serverChain[0]!.pem, serverKey, path, 'tls.key');
  const ticketKeyFile = g.tls.ticketKeyFile === undefined ? undefined : resolve(dir, g.tls.ticketKeyFile);
  const trustAnchors = loadTrustAnchors(g.clientAuth.trustAnchors, path, dir);
  const config: Config = {
    file: path,
    listen: g.listen,
    tls: {
      certPem, keyPem, certFile, notAfter: serverChain[0]!.notAfter, subject: serverChain[0]!.subject,
      policy: tlsPolicy(g, serverKey, path),
      ticketKeyFile,
      ticketKeys: ticketKeys(ticketKeyFile, path),
      ticketKeyRotationSeconds: g.tls.ticketKeyRotationSeconds,
    },
    clientAuth: { ...g.clientAuth, trustAnchors, ...revocation(g, trustAnchors, path, dir) },
    allowlist: { ...g.allowlist, cacheFile: g.allowlist.cacheFile ? resolve(dir, g.allowlist.cacheFile) : undefined },
    proxyProtocol: g.proxyProtocol,
    limits: g.limits,
    admin: g.admin,
    log: g.log,
    workers: g.workers,
    watch: g.watch,
    appsDir: resolve(dir, g.apps),
    apps: loadApps(path, dir, g.apps, env),
    warnings: [],
  };
  return Object.freeze({ ...config, warnings: warningsFor(config) });
}
