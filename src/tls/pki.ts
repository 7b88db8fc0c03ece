// A small certificate factory on @peculiar/x509 + WebCrypto. It builds the throwaway PKI of
// `hubgate dev-pki` and `npm start`, and every chain the tests throw at the gateway (good ones
// shaped like Meta's, and the broken ones an attacker or a misconfigured CA would present).
import { webcrypto, randomBytes } from 'node:crypto';
import { x509 } from './x509.js';

export type KeyAlgorithm = 'ec' | 'rsa';

export interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

export interface IssueOptions {
  /** RFC 4514-style string (`CN=x, O=y`) or @peculiar JSON (`[{ CN: ['a'] }, { CN: ['b'] }]`). */
  subject: string | x509.JsonName;
  /** Signed by this certificate; omitted → self-signed. */
  issuer?: Issued;
  key?: KeyAlgorithm;
  /** basicConstraints CA:TRUE (with optional pathlen); `false` writes CA:FALSE explicitly. */
  ca?: boolean;
  pathLength?: number;
  /** Extended key usages (OIDs); `[]` omits the extension. */
  extKeyUsages?: string[];
  dnsNames?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Hex; default random. */
  serialNumber?: string;
}

const DAY = 86_400_000;
export const EKU_CLIENT_AUTH = x509.ExtendedKeyUsage.clientAuth;
export const EKU_SERVER_AUTH = x509.ExtendedKeyUsage.serverAuth;

function keyParams(alg: KeyAlgorithm): RsaHashedKeyGenParams | EcKeyGenParams {
  return alg === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

function signingAlgorithm(keys: CryptoKeyPair): Algorithm | EcdsaParams {
  return keys.privateKey.algorithm.name === 'ECDSA'
    ? ({ name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams)
    : { name: 'RSASSA-PKCS1-v1_5' };
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const body = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

export async function issue(opts: IssueOptions): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(keyParams(opts.key ?? 'ec'), true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const isCa = opts.ca === true;
  const extensions: x509.Extension[] = [];
  if (opts.ca !== undefined) extensions.push(new x509.BasicConstraintsExtension(isCa, opts.pathLength, true));
  const usage = isCa
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
    : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
  extensions.push(new x509.KeyUsagesExtension(usage, true));
  const ekus = opts.extKeyUsages ?? (isCa ? [] : [EKU_CLIENT_AUTH]);
  if (ekus.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(ekus, false));
  if (opts.dnsNames?.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(opts.dnsNames.map((value) => ({ type: 'dns' as const, value }))));
  }
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  const signer = opts.issuer?.keys ?? keys;
  if (opts.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(opts.issuer.cert));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: opts.serialNumber ?? '01' + randomBytes(15).toString('hex'),
    subject: opts.subject,
    issuer: opts.issuer ? opts.issuer.cert.subjectName.toJSON() : opts.subject,
    notBefore: opts.notBefore ?? new Date(now - DAY),
    notAfter: opts.notAfter ?? new Date(now + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: signer.privateKey,
    signingAlgorithm: signingAlgorithm(signer),
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys.privateKey), cert, keys };
}

export function createRoot(cn: string, key: KeyAlgorithm = 'ec', pathLength?: number): Promise<Issued> {
  return issue({ subject: `CN=${cn}, O=hubgate test PKI`, ca: true, pathLength, key });
}

export function createIntermediate(cn: string, root: Issued, key: KeyAlgorithm = 'ec', pathLength = 0): Promise<Issued> {
  return issue({ subject: `CN=${cn}, O=hubgate test PKI`, issuer: root, ca: true, pathLength, key });
}

/** Concatenate PEM certificates, leaf first, as a TLS peer sends its chain. */
export function bundle(...certs: Issued[]): string {
  return certs.map((c) => c.certPem).join('');
}

export interface CrlOptions {
  /** Certificates (or serial numbers, hex) to list as revoked. */
  revoked?: Array<Issued | string>;
  thisUpdate?: Date;
  nextUpdate?: Date;
}

/** A CRL signed by `issuer`, as a CA publishes it (DER). */
export async function createCrl(issuer: Issued, opts: CrlOptions = {}): Promise<Buffer> {
  const now = Date.now();
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.cert.subjectName.toJSON(),
    thisUpdate: opts.thisUpdate ?? new Date(now - DAY),
    nextUpdate: opts.nextUpdate ?? new Date(now + 7 * DAY),
    entries: (opts.revoked ?? []).map((r) => ({
      serialNumber: typeof r === 'string' ? r : r.cert.serialNumber,
      revocationDate: new Date(now - DAY),
      reason: x509.X509CrlReason.keyCompromise,
    })),
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithm(issuer.keys),
  });
  return Buffer.from(crl.rawData);
}

/** PEM form of a DER CRL. */
export function crlPem(der: Buffer): string {
  return `-----BEGIN X509 CRL-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END X509 CRL-----\n`;
}
