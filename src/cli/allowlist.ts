// `hubgate allowlist`: what the gateway would allow, fetched the same way (SPEC.md §4, §6). Prints
// each distinct valid prefix once, as announced, one per line on stdout — the same set as Meta's
// documented `whois -h whois.radb.net -- '-i origin AS32934' | grep ^route` — and the counts on
// stderr, with the maintainers so an operator can preview `allowlist.maintainers` (`--maintainer`).
import { parseArgs } from 'node:util';
import { NO_MAINTAINER, parseRpsl } from '../allowlist/rpsl.js';
import { whoisQuery } from '../allowlist/whois.js';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const USAGE = `usage: hubgate allowlist [--asn AS32934] [--whois HOST[:PORT]] [--maintainer NAME]... [--timeout-ms N]
  --asn          origin AS to query (default AS32934)
  --whois        whois server (default whois.radb.net:43)
  --maintainer   keep only objects with this mnt-by (repeatable), as allowlist.maintainers does
  --timeout-ms   deadline for the whole whois exchange (default 10000)
`;

class UsageError extends Error {}

/** Resolves once the text is handed to the OS, so a caller may exit without cutting a pipe short. */
function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(text, (err) => (err ? reject(err) : resolve())));
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
export function parseWhoisServer(value: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(value);
  const [host, port] = bracketed ? [bracketed[1], bracketed[2]] : plain ? [plain[1], plain[2]] : [value, undefined];
  const number = port === undefined ? 43 : Number(port);
  if (!host || !Number.isInteger(number) || number < 1 || number > 65535) throw new UsageError(`--whois: not HOST[:PORT]: "${value}"`);
  return { host, port: number };
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      asn: { type: 'string', default: 'AS32934' },
      whois: { type: 'string', default: 'whois.radb.net:43' },
      maintainer: { type: 'string', multiple: true, default: [] },
      'timeout-ms': { type: 'string', default: '10000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  // The ASN is sent as the query: only its RPSL form, so nothing else reaches the server.
  if (!/^AS\d{1,10}$/i.test(values.asn)) throw new UsageError(`--asn: not an AS number: "${values.asn}"`);
  const timeoutMs = Number(values['timeout-ms']);
  if (!/^\d+$/.test(values['timeout-ms']) || timeoutMs < 1) throw new UsageError('--timeout-ms: not a positive integer');
  return {
    help: values.help,
    asn: values.asn.toUpperCase(),
    server: parseWhoisServer(values.whois),
    maintainers: values.maintainer,
    timeoutMs,
  };
}

function summary(asn: string, where: string, maintainers: readonly string[], r: ReturnType<typeof parseRpsl>): string {
  const lines = [
    `${asn} from ${where}: ${r.prefixes.length} prefixes (IPv4 ${r.v4}, IPv6 ${r.v6}); ` +
      `${r.malformed} malformed skipped, ${r.duplicates} duplicates, ${r.otherOrigin} objects with another origin`,
    'prefixes per maintainer (mnt-by), before any filter:',
  ];
  const rows = [...r.perMaintainer].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  for (const [name, count] of rows) lines.push(`  ${name.padEnd(width)}  ${count}${name === NO_MAINTAINER ? '  (objects without mnt-by)' : ''}`);
  if (maintainers.length > 0) {
    lines.push(`maintainer filter ${maintainers.join(', ')}: ${r.prefixes.length} of ${r.routes.length} prefixes kept`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the command; resolves to the exit code (0 ok, 1 no list, 2 usage). Never throws. */
export async function runAllowlistCommand(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    await write(io.stderr, `hubgate allowlist: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    await write(io.stdout, USAGE);
    return 0;
  }
  const where = `${args.server.host}:${args.server.port}`;
  try {
    const text = await whoisQuery({ ...args.server, query: `-i origin ${args.asn}`, timeoutMs: args.timeoutMs });
    const result = parseRpsl(text, { maintainers: args.maintainers, origin: args.asn });
    if (result.prefixes.length > 0) await write(io.stdout, `${result.prefixes.join('\n')}\n`);
    await write(io.stderr, summary(args.asn, where, args.maintainers, result));
    if (result.prefixes.length === 0) {
      await write(io.stderr, 'hubgate allowlist: no prefix: the gateway would keep its last good list\n');
      return 1;
    }
    return 0;
  } catch (err) {
    await write(io.stderr, `hubgate allowlist: ${(err as Error).message}\n`);
    return 1;
  }
}
