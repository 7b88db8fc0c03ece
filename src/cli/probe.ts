// `hubgate probe URL`: checks a running endpoint from the outside, the way Meta will, and prints
// a checklist with the fix for every failing line. Exit 0 only if no required check failed.
// Works against any HTTPS endpoint, not only hubgate; nothing here reads the gateway's config.
import { readFileSync } from 'node:fs';
import { parse, guarded, UsageError } from './args.js';
import { readServerHello } from './probe-hello.js';
import { checkDns, checkTcp, tlsHandshake, tlsFailure, checkVersion, checkChain, checkName, checkExpiry, type Target, type Resolve } from './probe-tls.js';
import { caSubjects, digicertRoot, sentCertificates, checkClientCertRequest, checkClientCaNames, type NamedCa } from './probe-client-ca.js';
import { checkVerification, checkUnsignedPost, checkSignedPost, type ClientIdentity } from './probe-http.js';
import { skip, passed, formatChecklist, formatJson, type Check } from './probe-report.js';

export interface ProbeOptions {
  readonly url: URL;
  readonly verifyToken?: string;
  /** Extra trusted roots (PEM), beside Node's bundled public ones. */
  readonly ca: string[];
  readonly client?: ClientIdentity;
  readonly secret?: Buffer;
  readonly metaCa?: NamedCa[];
  readonly timeoutMs: number;
  /** How host names are resolved (default: the system resolver). */
  readonly resolve?: Resolve;
}

/** The titles of the checks that need a TLS connection, for the "not run" lines. */
const AFTER_TLS: Array<[string, string]> = [
  ['chain', 'server chain'], ['name', 'name'], ['expiry', 'expiry'], ['client_cert_request', 'client certificate'],
  ['client_ca_names', 'client CA names'], ['verification_get', 'verification GET'], ['unsigned_post', 'unsigned POST'],
  ['signed_post', 'signed POST'],
];

function notRun(from: number, why: string, list: Array<[string, string]>): Check[] {
  return list.slice(from).map(([id, title]) => skip(id, title, `not run: ${why}`));
}

export async function probe(o: ProbeOptions): Promise<Check[]> {
  const host = o.url.hostname.replace(/^\[|\]$/g, '');
  const t: Target = { url: o.url.href, host, port: Number(o.url.port || 443), timeoutMs: o.timeoutMs };
  const checks: Check[] = [];
  const dns = await checkDns(t, o.resolve);
  checks.push(dns.check);
  if (dns.addresses.length === 0) return [...checks, ...notRun(0, 'no address', [['tcp', 'TCP'], ['tls', 'TLS'], ...AFTER_TLS])];
  const tcp = await checkTcp(t, dns.addresses);
  checks.push(tcp.check);
  const address = tcp.address;
  if (address === undefined) return [...checks, ...notRun(0, 'no TCP connection', [['tls', 'TLS'], ...AFTER_TLS])];
  const facts = await tlsHandshake(t, address, o.ca);
  if (facts instanceof Error) return [...checks, tlsFailure(facts), ...notRun(0, 'no TLS handshake', AFTER_TLS)];
  const hello = await readServerHello(address, t.port, host, o.timeoutMs);
  const sent = sentCertificates(hello);
  checks.push(checkVersion(facts), checkChain(t, facts, sent), checkName(t, facts), checkExpiry(facts, sent));
  checks.push(checkClientCertRequest(hello), checkClientCaNames(hello, digicertRoot(), o.metaCa));
  const http = { address, port: t.port, host, authority: o.url.host, path: `${o.url.pathname}${o.url.search}`, ca: o.ca, timeoutMs: o.timeoutMs };
  checks.push(await checkVerification(http, o.verifyToken));
  checks.push(await checkUnsignedPost(http));
  if (o.client) checks.push(await checkUnsignedPost(http, o.client));
  checks.push(await checkSignedPost(http, o.client, o.secret));
  return checks;
}

function readOrFail(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function probeOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): ProbeOptions & { json: boolean } {
  const { values, positionals } = parse(argv, {
    'verify-token': { type: 'string' },
    ca: { type: 'string', multiple: true },
    'client-cert': { type: 'string' },
    'client-key': { type: 'string' },
    'secret-env': { type: 'string' },
    'meta-ca': { type: 'string' },
    timeout: { type: 'string', default: '10000' },
    json: { type: 'boolean', default: false },
  }, true);
  if (positionals.length !== 1) throw new UsageError('probe needs exactly one URL: hubgate probe https://HOST/PATH');
  let url: URL;
  try {
    url = new URL(positionals[0]!);
  } catch {
    throw new UsageError(`"${positionals[0]}" is not a URL`);
  }
  if (url.protocol !== 'https:') throw new UsageError('the URL must start with https:// (Meta calls only HTTPS callbacks)');
  if (Boolean(values['client-cert']) !== Boolean(values['client-key'])) throw new UsageError('--client-cert and --client-key go together');
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout must be a positive number of milliseconds');
  const secretVar = values['secret-env'];
  if (secretVar !== undefined && !env[secretVar]) throw new UsageError(`--secret-env: the variable ${secretVar} is not set or empty`);
  const metaCa = values['meta-ca'] === undefined ? undefined : caSubjects(readOrFail(values['meta-ca'], '--meta-ca file'));
  if (metaCa?.length === 0) throw new UsageError('--meta-ca: the file holds no PEM certificate');
  return {
    url,
    verifyToken: values['verify-token'],
    ca: (values.ca ?? []).map((f) => readOrFail(f, '--ca file')),
    client: values['client-cert'] ? { cert: readOrFail(values['client-cert'], '--client-cert file'), key: readOrFail(values['client-key']!, '--client-key file') } : undefined,
    secret: secretVar === undefined ? undefined : Buffer.from(env[secretVar]!),
    metaCa,
    timeoutMs,
    json: values.json,
  };
}

export function runProbe(argv: string[]): Promise<number> {
  return guarded(async () => {
    const options = probeOptions(argv);
    const checks = await probe(options);
    const url = options.url.href;
    process.stdout.write(options.json ? formatJson(url, checks) : formatChecklist(url, checks));
    return passed(checks) ? 0 : 1;
  });
}
