// The probe's network and certificate checks: DNS, TCP, the TLS version, the server chain against
// the public trust store (Node's bundled roots, plus --ca), the name, and the expiry. Meta's
// servers refuse a callback whose chain is self-signed or incomplete (they do not fetch missing
// intermediates), whose name does not match, or whose certificate has expired.
import { lookup } from 'node:dns/promises';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, checkServerIdentity, rootCertificates, type PeerCertificate, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { pass, fail, plural, type Check } from './probe-report.js';

export interface Target {
  readonly url: string;
  /** Host name or IP literal from the URL (no brackets). */
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
}

export interface TlsFacts {
  readonly protocol: string;
  readonly cipher: string;
  readonly authorizationError: string | null;
  readonly peer: PeerCertificate;
  readonly leaf: X509Certificate;
}

const DAY = 86_400_000;
export const EXPIRY_DAYS = 30;

/** Resolves a host name to its addresses (dns.lookup, as Meta's resolver would see them). */
export type Resolve = (host: string) => Promise<string[]>;
export const systemResolve: Resolve = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

export async function checkDns(t: Target, resolve: Resolve = systemResolve): Promise<{ check: Check; addresses: string[] }> {
  const title = 'DNS';
  if (isIP(t.host)) {
    return { check: pass('dns', title, `${t.host} is an address (Meta needs a host name in the callback URL that the certificate names)`), addresses: [t.host] };
  }
  try {
    const addresses = await resolve(t.host);
    if (addresses.length === 0) throw Object.assign(new Error('no address'), { code: 'ENODATA' });
    return { check: pass('dns', title, `${t.host} → ${addresses.join(', ')}`), addresses };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { check: fail('dns', title, `${t.host} does not resolve (${code})`, `publish an A or AAAA record for ${t.host} in public DNS`), addresses: [] };
  }
}

function connectOnce(address: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: address, port, timeout: timeoutMs });
    const done = (error: string | null) => {
      socket.destroy();
      resolve(error);
    };
    socket.once('connect', () => done(null));
    socket.once('timeout', () => done(`no answer within ${timeoutMs} ms`));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** Tries each address in turn, as a client falls back from one to the next. */
export async function checkTcp(t: Target, addresses: string[]): Promise<{ check: Check; address?: string }> {
  const title = 'TCP';
  const errors: string[] = [];
  for (const address of addresses) {
    const started = Date.now();
    const error = await connectOnce(address, t.port, t.timeoutMs);
    if (error === null) return { check: pass('tcp', title, `connected to ${address} port ${t.port} in ${Date.now() - started} ms`), address };
    errors.push(`${address}: ${error}`);
  }
  return {
    check: fail('tcp', title, `port ${t.port} unreachable (${errors.join('; ')})`,
      `is the gateway running and listening on port ${t.port} on a public address (not listen.host 127.0.0.1)? Open the port to the internet in every firewall and security group on the way`),
  };
}

/** One handshake as a verifying client would do it, without giving up on a bad chain: the
 *  verdict is read from authorizationError, so every problem can be named at once. */
export function tlsHandshake(t: Target, address: string, extraCa: string[]): Promise<TlsFacts | Error> {
  return new Promise((resolve) => {
    const socket: TLSSocket = tlsConnect({
      host: address,
      port: t.port,
      servername: isIP(t.host) ? undefined : t.host,
      ca: [...rootCertificates, ...extraCa],
      rejectUnauthorized: false,
      minVersion: 'TLSv1', // accept what the server offers, so an old version can be reported as such
      ALPNProtocols: ['http/1.1'],
      // The name is its own check (checkName): keep authorizationError about the chain alone.
      checkServerIdentity: () => undefined,
      timeout: t.timeoutMs,
    });
    const done = (r: TlsFacts | Error) => {
      socket.destroy();
      resolve(r);
    };
    socket.once('secureConnect', () => {
      // Only getPeerCertificate: after getPeerX509Certificate, Node 20 answers it with {}.
      const peer = socket.getPeerCertificate(true);
      if (!peer.raw) return done(new Error('the server sent no certificate'));
      const err = socket.authorizationError as unknown as (Error & { code?: string }) | string | null;
      done({
        protocol: socket.getProtocol() ?? 'unknown',
        cipher: socket.getCipher().standardName,
        authorizationError: err === null ? null : typeof err === 'string' ? err : (err.code ?? err.message),
        peer,
        leaf: new X509Certificate(peer.raw),
      });
    });
    socket.once('timeout', () => done(new Error(`no TLS handshake within ${t.timeoutMs} ms`)));
    socket.once('error', (err: NodeJS.ErrnoException) => done(new Error(err.code ? `${err.code}: ${err.message}` : err.message)));
  });
}

export function tlsFailure(err: Error): Check {
  const closed = /ECONNRESET|socket disconnected|closed/i.test(err.message);
  return fail('tls', 'TLS', `no TLS handshake: ${err.message}`, closed
    ? 'the server closed the connection before TLS: if hubgate has allowlist.enabled, this machine is not in AS32934 (probe from an allowed address or add it to allowlist.extraCidrs)'
    : 'serve TLS 1.2 or 1.3 on this port with a certificate and key (tls.cert, tls.key)');
}

export function checkVersion(facts: TlsFacts): Check {
  const detail = `${facts.protocol} negotiated (${facts.cipher})`;
  return facts.protocol === 'TLSv1.2' || facts.protocol === 'TLSv1.3'
    ? pass('tls', 'TLS', detail)
    : fail('tls', 'TLS', detail, 'allow only TLS 1.2 and 1.3 (hubgate never negotiates less)');
}

const cn = (subject: string | undefined) => /(?:^|\n)CN=([^\n]*)/.exec(subject ?? '')?.[1] ?? subject ?? '?';

/** The chain as the server sent it, leaf first, when the TLS 1.2 reader saw it. */
export function checkChain(t: Target, facts: TlsFacts, sent: X509Certificate[] | undefined): Check {
  const title = 'server chain';
  const code = facts.authorizationError;
  const count = sent ? `the server sent ${plural(sent.length, 'certificate')}` : 'the chain';
  const top = sent?.[sent.length - 1] ?? facts.leaf;
  const publicCa = `get a certificate for ${t.host} from a public CA and put the full chain in tls.cert: the leaf, then every intermediate, in order`;
  if (code === null) return pass('chain', title, `${count}; it verifies to a trusted root (issuer of the top: ${cn(top.issuer)})`);
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return fail('chain', title, `self-signed certificate (${cn(facts.leaf.subject)}): Meta refuses it (${code})`, publicCa);
  }
  if (code === 'SELF_SIGNED_CERT_IN_CHAIN') {
    return fail('chain', title, `${count}; it ends in a self-signed root that no public trust store holds (${code})`, publicCa);
  }
  // OpenSSL says UNABLE_TO_VERIFY_LEAF_SIGNATURE when the leaf alone was there to build from: a
  // public CA never issues from its root, so an intermediate is missing. With intermediates sent,
  // the top one's issuer is unknown: a private CA, or a further intermediate missing.
  if (code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') {
    return fail(
      'chain', title,
      `missing intermediate: the server sent only its own certificate, issued by "${cn(facts.leaf.issuer)}", which is in no trust store (${code})`,
      'append the intermediate certificate(s) your CA issued with it to tls.cert, after the leaf: Meta does not fetch missing intermediates',
    );
  }
  if (code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' || code === 'UNABLE_TO_GET_ISSUER_CERT') {
    return fail(
      'chain', title,
      `unknown issuer: ${count}, ending at "${cn(top.subject)}", whose issuer "${cn(top.issuer)}" is in no public trust store (${code})`,
      `if "${cn(top.issuer)}" is a private CA, Meta will never trust it: ${publicCa}; otherwise append the missing intermediate to tls.cert`,
    );
  }
  if (code === 'CERT_HAS_EXPIRED') return fail('chain', title, `a certificate in the chain has expired (${code})`, `renew it and reload hubgate (kill -HUP)`);
  return fail('chain', title, `does not verify against the public trust store (${code})`, publicCa);
}

export function checkName(t: Target, facts: TlsFacts): Check {
  const title = 'name';
  const err = checkServerIdentity(t.host, facts.peer);
  const names = facts.peer.subjectaltname ?? `CN=${cn(facts.leaf.subject)}`;
  return err
    ? fail('name', title, `the certificate does not name ${t.host} (it names ${names})`, `get a certificate whose subjectAltName holds DNS:${t.host}, or use a callback URL with a name it holds`)
    : pass('name', title, `${t.host} matches ${names}`);
}

export function checkExpiry(facts: TlsFacts, sent: X509Certificate[] | undefined, now = Date.now()): Check {
  const title = 'expiry';
  const certs = sent && sent.length > 0 ? sent : [facts.leaf];
  const soonest = certs.reduce((a, b) => (Date.parse(a.validTo) <= Date.parse(b.validTo) ? a : b));
  const notAfter = Date.parse(soonest.validTo);
  const days = Math.floor((notAfter - now) / DAY);
  const what = soonest === certs[0] ? 'the certificate' : `the intermediate "${cn(soonest.subject)}"`;
  const date = new Date(notAfter).toISOString().slice(0, 10);
  if (days < 0) return fail('expiry', title, `${what} expired on ${date}`, 'renew it now and reload hubgate (kill -HUP): Meta refuses an expired certificate');
  if (days < EXPIRY_DAYS) return fail('expiry', title, `${what} expires in ${days} days (${date})`, `renew it before ${date} and reload hubgate (kill -HUP)`);
  return pass('expiry', title, `${what} is valid until ${date} (${days} days)`);
}
