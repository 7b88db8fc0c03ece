import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseWhoisServer, runAllowlistCommand } from '../../src/cli/allowlist.js';
import { type FakeWhois, startFakeWhois } from '../helpers/fake-whois.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, text: () => text };
}

let whois: FakeWhois;
beforeEach(async () => {
  whois = await startFakeWhois();
});
afterEach(async () => {
  await whois.close();
});

async function run(...argv: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await runAllowlistCommand(argv, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('hubgate allowlist', () => {
  it('prints each distinct valid prefix once, as announced, one per line', async () => {
    const { code, stdout } = await run('--whois', whois.address);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(14);
    expect(new Set(lines).size).toBe(14);
    expect(lines.slice(0, 4)).toEqual(['31.13.24.0/21', '31.13.64.0/18', '157.240.0.0/17', '2a03:2880::/32']);
    // Not aggregated: the two adjacent halves and the more specific stay as announced.
    expect(lines).toEqual(expect.arrayContaining(['69.63.176.0/21', '69.63.184.0/21', '185.60.218.0/24']));
    expect(whois.queries).toEqual(['-i origin AS32934']);
  });

  it('prints the counts and the maintainers on stderr', async () => {
    const { stderr } = await run('--whois', whois.address);
    expect(stderr).toContain('14 prefixes (IPv4 11, IPv6 3)');
    expect(stderr).toContain('4 malformed skipped');
    expect(stderr).toMatch(/MAINT-AS32934\s+12/);
    expect(stderr).toMatch(/MAINT-AS27699\s+1/);
  });

  it('previews the maintainer filter with --maintainer', async () => {
    const { code, stdout, stderr } = await run('--whois', whois.address, '--maintainer', 'MAINT-AS32934', '--maintainer', 'MAINT-AS27699');
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toHaveLength(13);
    expect(stderr).toContain('maintainer filter MAINT-AS32934, MAINT-AS27699: 13 of 14 prefixes kept');
  });

  it('queries the ASN given with --asn', async () => {
    whois.setAnswer('route: 192.0.2.0/24\norigin: AS64500\n');
    const { code, stdout } = await run('--whois', whois.address, '--asn', 'as64500');
    expect(code).toBe(0);
    expect(stdout).toBe('192.0.2.0/24\n');
    expect(whois.queries).toEqual(['-i origin AS64500']);
  });

  it('exits 1 with the reason when whois is down', async () => {
    await whois.down();
    const { code, stdout, stderr } = await run('--whois', whois.address);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('connection refused');
  });

  it('exits 1 when the answer holds no prefix', async () => {
    whois.setAnswer('% No entries found\n');
    const { code, stderr } = await run('--whois', whois.address);
    expect(code).toBe(1);
    expect(stderr).toContain('no prefix');
  });

  it('exits 1 when whois does not answer within --timeout-ms', async () => {
    whois.setMode('hang');
    const { code, stderr } = await run('--whois', whois.address, '--timeout-ms', '200');
    expect(code).toBe(1);
    expect(stderr).toContain('within 200 ms');
  });

  it('exits 2 on bad usage without querying', async () => {
    expect((await run('--whois', whois.address, '--asn', 'AS1 -k')).code).toBe(2);
    expect((await run('--whois', whois.address, '--bogus')).code).toBe(2);
    expect((await run('--whois', 'host:99999')).code).toBe(2);
    expect(whois.queries).toEqual([]);
  });
});

describe('parseWhoisServer', () => {
  it('reads host, host:port, [v6]:port and a bare IPv6 address', () => {
    expect(parseWhoisServer('whois.radb.net')).toEqual({ host: 'whois.radb.net', port: 43 });
    expect(parseWhoisServer('127.0.0.1:4343')).toEqual({ host: '127.0.0.1', port: 4343 });
    expect(parseWhoisServer('[::1]:4343')).toEqual({ host: '::1', port: 4343 });
    expect(parseWhoisServer('::1')).toEqual({ host: '::1', port: 43 });
  });
});
