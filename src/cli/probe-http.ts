// The probe's HTTP checks, as Meta sends them: the verification GET (no client certificate),
// a POST that must be refused (no certificate, no signature; then a certificate but no
// signature), and with the operator's client certificate and app secret a signed POST that must
// go through. The certificate was judged by the TLS checks already: these connect regardless,
// so every problem shows at once.
import { request } from 'node:https';
import { createHmac, randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { REASONS } from '../refusal.js';
import { pass, fail, skip, type Check } from './probe-report.js';

export interface HttpTarget {
  readonly address: string;
  readonly port: number;
  readonly host: string;
  /** The URL's host[:port], for the Host header. */
  readonly authority: string;
  /** The URL's path and query. */
  readonly path: string;
  readonly ca: string[];
  readonly timeoutMs: number;
}

export interface ClientIdentity {
  readonly cert: string;
  readonly key: string;
}

type Outcome = { kind: 'response'; status: number; body: string } | { kind: 'closed'; code: string };

/** A body that cannot be mistaken for a real event: no entries, an object no Meta product uses. */
export const PROBE_BODY = '{"object":"hubgate_probe","entry":[]}';
const MAX_BODY = 64 * 1024;

function exchange(t: HttpTarget, method: string, path: string, headers: Record<string, string>, body?: string, client?: ClientIdentity): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request({
      host: t.address, port: t.port, method, path, agent: false, timeout: t.timeoutMs,
      servername: isIP(t.host) ? undefined : t.host,
      ca: t.ca, rejectUnauthorized: false, cert: client?.cert, key: client?.key,
      headers: { host: t.authority, 'user-agent': 'hubgate-probe', ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      res.on('end', () => resolve({ kind: 'response', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'closed', code: err.code ?? err.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${t.timeoutMs} ms`), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'closed', code: err.code ?? err.message }));
    req.end(body);
  });
}

/** hubgate names its reason code at the start of a refusal body: `signature_mismatch: …`. */
function reasonOf(o: Outcome): string | undefined {
  const code = o.kind === 'response' ? /^([a-z_]+): /.exec(o.body)?.[1] : undefined;
  return code !== undefined && code in REASONS ? code : undefined;
}

function describe(o: Outcome): string {
  if (o.kind === 'closed') return `the connection closed without an answer (${o.code})`;
  const reason = reasonOf(o);
  return `answered ${o.status}${reason ? ` ${reason}` : ''}`;
}

const is2xx = (o: Outcome) => o.kind === 'response' && o.status >= 200 && o.status < 300;
const quote = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

export async function checkVerification(t: HttpTarget, verifyToken: string | undefined): Promise<Check> {
  const id = 'verification_get';
  const title = 'verification GET';
  if (verifyToken === undefined) return skip(id, title, 'not sent: pass --verify-token TOKEN (the Verify Token you enter in the App Dashboard)');
  const challenge = String(randomInt(1_000_000_000, 2_147_483_647)); // Meta's challenges are numbers
  const query = `hub.mode=subscribe&hub.challenge=${challenge}&hub.verify_token=${encodeURIComponent(verifyToken)}`;
  const o = await exchange(t, 'GET', `${t.path}${t.path.includes('?') ? '&' : '?'}${query}`, {});
  if (o.kind === 'response' && o.status === 200 && o.body === challenge) return pass(id, title, 'answered 200 with exactly hub.challenge (no client certificate, as Meta sends it)');
  if (o.kind === 'response' && o.status === 200) {
    return fail(id, title, `answered 200, but the body is not exactly hub.challenge ${quote(challenge)}: got ${quote(o.body)}`,
      'answer the body with the hub.challenge value alone: no JSON, quotes or newline (hubgate does this itself when the app has a verifyToken)');
  }
  const reason = reasonOf(o);
  const fix = reason === 'verify_token_mismatch'
    ? 'use the same token in --verify-token, in the app’s verifyToken and in the App Dashboard'
    : reason === 'route_not_found'
      ? 'no app is routed at this path: check the app file’s host and path against the callback URL'
      : o.kind === 'closed'
        ? 'Meta verifies the callback URL without a client certificate: keep clientAuth.verificationWithoutCertificate: true (the default)'
        : 'the endpoint must answer GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=… with 200 and the challenge';
  return fail(id, title, describe(o), fix);
}

export async function checkUnsignedPost(t: HttpTarget, client?: ClientIdentity): Promise<Check> {
  const id = client ? 'unsigned_post_with_certificate' : 'unsigned_post';
  const title = client ? 'unsigned POST with cert' : 'unsigned POST';
  const o = await exchange(t, 'POST', t.path, { 'content-type': 'application/json' }, PROBE_BODY, client);
  if (!is2xx(o)) return pass(id, title, `refused: ${describe(o)}`);
  return client
    ? fail(id, title, `answered ${o.kind === 'response' ? o.status : ''} to a POST without X-Hub-Signature-256: the signature is not checked`,
      'put hubgate in front of the app, so every POST passes its signature check (stage 8) before it is forwarded')
    : fail(id, title, `answered ${o.kind === 'response' ? o.status : ''} to a POST with neither a client certificate nor a signature: anyone can forge deliveries`,
      'put hubgate in front of the app and make sure nothing routes around it: every POST needs a client certificate and a valid X-Hub-Signature-256');
}

export async function checkSignedPost(t: HttpTarget, client: ClientIdentity | undefined, secret: Buffer | undefined): Promise<Check> {
  const id = 'signed_post';
  const title = 'signed POST';
  if (!client) return skip(id, title, 'not sent: pass --client-cert FILE --client-key FILE (e.g. from hubgate dev-pki) and --secret-env VAR');
  if (!secret) return skip(id, title, 'not sent: pass --secret-env VAR, a variable holding the app secret');
  const signature = 'sha256=' + createHmac('sha256', secret).update(PROBE_BODY).digest('hex');
  const o = await exchange(t, 'POST', t.path, { 'content-type': 'application/json', 'x-hub-signature-256': signature }, PROBE_BODY, client);
  if (is2xx(o)) return pass(id, title, `delivered: ${describe(o)} (the app received ${PROBE_BODY})`);
  const reason = reasonOf(o);
  const fix = o.kind === 'closed'
    ? 'the client certificate was refused: it must chain to clientAuth.trustAnchors and carry CN client.webhooks.fbclientcerts.com (the gateway’s “connection refused” log line names the reason)'
    : reason?.startsWith('signature_')
      ? 'the variable given to --secret-env must hold the app’s appSecret'
      : reason?.startsWith('upstream_')
        ? 'the gateway could not reach the app: check the app file’s upstream and that the app runs'
        : reason
          ? `the gateway refused it (${reason}): see its log line for the request`
          : 'the app itself answered a non-2xx status: Meta would retry this delivery';
  return fail(id, title, describe(o), fix);
}
