// `hubgate check --config FILE`: load everything `serve` would, print what it found, exit 1 with
// the loader's message on any error. Safe to run in CI and before every reload.
import { existsSync, readFileSync } from 'node:fs';
import { loadConfig, DEFAULT_CONFIG_FILE, type AppConfig, type Config } from '../config/load.js';
import { displayPath } from '../config/errors.js';
import { parse, guarded } from './args.js';
import { workerCount } from '../server/role.js';
import { describeTlsPolicy } from '../tls/policy.js';

const DAY = 86_400_000;

function expiry(notAfter: Date, now = Date.now()): string {
  const days = Math.floor((notAfter.getTime() - now) / DAY);
  const note = days < 0 ? 'EXPIRED' : days <= 30 ? `expires in ${days} days — renew now` : `${days} days left`;
  return `${notAfter.toISOString().slice(0, 10)} (${note})`;
}

function allowlistSummary(config: Config): string[] {
  const a = config.allowlist;
  if (!a.enabled) return ['  disabled (every source address may connect; the certificate check still applies)'];
  const lines = [
    `  enabled: ${a.asn} from ${a.whois.host}:${a.whois.port}, refreshed every ${a.refreshSeconds}s`,
    `  maintainers filter: ${a.maintainers.length ? a.maintainers.join(', ') : 'none (Meta’s documented query)'}`,
    `  extra CIDRs: ${a.extraCidrs.length ? a.extraCidrs.join(', ') : 'none'}`,
  ];
  if (!a.cacheFile) lines.push('  cache file: none (a restart while whois is down refuses every connection)');
  else if (!existsSync(a.cacheFile)) lines.push(`  cache file: ${displayPath(a.cacheFile)} (not written yet)`);
  else {
    try {
      const cached = JSON.parse(readFileSync(a.cacheFile, 'utf8')) as { routes?: unknown[]; fetchedAt?: number };
      const when = typeof cached.fetchedAt === 'number' ? new Date(cached.fetchedAt * 1000).toISOString() : 'unknown';
      lines.push(`  cache file: ${displayPath(a.cacheFile)}: ${cached.routes?.length ?? 0} routes, fetched ${when}`);
    } catch {
      lines.push(`  cache file: ${displayPath(a.cacheFile)} (unreadable: it will be replaced on the next fetch)`);
    }
  }
  return lines;
}

const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** SPEC §9: where each app's events go. Ids are counted, not listed: the config has them. */
function eventsSummary(app: AppConfig): string[] {
  if (app.tenants.length === 0 && app.fanOut.length === 0) return [];
  const lines = [`    tenants (${app.tenants.length}${app.tenantsDir ? ` from ${displayPath(app.tenantsDir)}` : ''}):`];
  for (const t of app.tenants) {
    const ids = `${count(t.phoneNumberIds.length, 'phone number id')}, ${count(t.entryIds.length, 'entry id')}`;
    lines.push(`      ${t.name}: ${ids} → ${t.upstream}${t.signingSecret ? '  [own signing secret]' : ''}`);
  }
  lines.push(`      any other event → ${app.upstream}`);
  for (const f of app.fanOut) {
    lines.push(`    fanOut ${f.name}: every event → ${f.upstream}  [${f.required ? 'required' : 'not required'}${f.signingSecret ? ', own signing secret' : ''}]`);
  }
  return lines;
}

/** CRLs are reissued long before nextUpdate: only a stale one is news. */
function freshness(nextUpdate: Date, now = Date.now()): string {
  const hours = Math.floor((nextUpdate.getTime() - now) / 3_600_000);
  const when = hours < 0 ? 'STALE' : hours < 48 ? `in ${hours} hours — fetch a fresh CRL` : `in ${Math.floor(hours / 24)} days`;
  return `${nextUpdate.toISOString().slice(0, 16).replace('T', ' ')} UTC (${when})`;
}

function revocationSummary(config: Config): string[] {
  const { crls, crlExpired } = config.clientAuth;
  if (crls.length === 0) return ['revocation (clientAuth.crls): none configured'];
  const lines = [`revocation (clientAuth.crls): ${crls.length} CRL${crls.length > 1 ? 's' : ''}, expired CRL → ${crlExpired}`];
  for (const c of crls) {
    lines.push(`  ${c.issuer.replace(/\n/g, ', ')}: ${c.revoked.size} revoked, next update ${freshness(c.nextUpdate)}`, `    file: ${displayPath(c.file)}`);
  }
  return lines;
}

function ticketKeySummary(config: Config): string {
  const t = config.tls;
  return t.ticketKeys
    ? `session tickets: ${t.ticketKeys.length} key${t.ticketKeys.length > 1 ? 's' : ''} from ${displayPath(t.ticketKeyFile!)} (first encrypts, all decrypt)`
    : `session tickets: keys generated at start, shared by all workers, rotated every ${t.ticketKeyRotationSeconds}s (previous key kept one period)`;
}

export function summarize(config: Config): string {
  const lines = [`config: ${displayPath(config.file)}`, `listen: ${config.listen.host}:${config.listen.port} (TLS), admin: http://${config.admin.host}:${config.admin.port}`];
  lines.push(`server certificate: ${config.tls.subject}, until ${expiry(config.tls.notAfter)}`);
  lines.push(...describeTlsPolicy(config.tls.policy), ticketKeySummary(config));
  lines.push('trust anchors (clientAuth.trustAnchors):');
  for (const a of config.clientAuth.trustAnchors) {
    lines.push(`  ${a.subject}`, `    file: ${displayPath(a.file)}`, `    sha256: ${a.fingerprint256}`, `    until: ${expiry(a.notAfter)}`);
  }
  lines.push(`accepted client CNs: ${config.clientAuth.commonNames.join(', ')} (exact match), max chain depth ${config.clientAuth.maxChainDepth}`);
  lines.push(...revocationSummary(config));
  lines.push(`verification GET without certificate: ${config.clientAuth.verificationWithoutCertificate ? 'allowed' : 'refused'}`);
  lines.push(`apps (${config.apps.length}):`);
  for (const app of config.apps) {
    const extras = [
      `${app.secrets.length} secret${app.secrets.length > 1 ? 's' : ''}`,
      app.verifyToken ? 'verifyToken' : 'verification GET forwarded',
      app.dedupe.enabled ? `dedupe (${typeof app.dedupe.store === 'string' ? 'memory' : 'redis'})` : '',
    ].filter(Boolean);
    lines.push(`  ${app.name}: ${app.host ?? '*'}${app.path || '/'} → ${app.upstream}  [${extras.join(', ')}]`, ...eventsSummary(app));
  }
  lines.push('allowlist:', ...allowlistSummary(config));
  lines.push(`workers: ${config.workers === 'auto' ? `auto (${workerCount(config)} here: the cores available, capped by the cgroup CPU quota)` : config.workers}`);
  for (const w of config.warnings) lines.push(`WARNING: ${w}`);
  return lines.join('\n') + '\n';
}

export function runCheck(argv: string[]): Promise<number> {
  return guarded(async () => {
    const { values } = parse(argv, { config: { type: 'string', short: 'c', default: DEFAULT_CONFIG_FILE } });
    const config = loadConfig(values.config);
    process.stdout.write(summarize(config));
    for (const w of config.warnings) process.stderr.write(`hubgate: warning: ${w}\n`);
    process.stdout.write('OK\n');
    return 0;
  });
}
