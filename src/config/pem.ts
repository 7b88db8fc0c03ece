// Reading the PEM files a config names: trust anchors, the server chain and its key.
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { ConfigError } from './errors.js';

/** SHA-256 of the DigiCert High Assurance EV Root CA (SPEC.md §4). */
export const DIGICERT_EV_ROOT_SHA256 =
  '74:31:E5:F4:C3:C1:CE:46:90:77:4F:0B:61:E0:54:40:88:3B:A9:A0:1E:D0:0B:A6:AB:D7:80:6E:D3:B1:18:CF';

export interface CertificateInfo {
  readonly pem: string;
  readonly subject: string;
  readonly fingerprint256: string;
  readonly notAfter: Date;
  readonly isCa: boolean;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function readFileOrFail(path: string, file: string, key: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(file, key, `cannot read ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function parseCertificates(text: string, file: string, key: string): CertificateInfo[] {
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new ConfigError(file, key, 'holds no PEM certificate');
  return blocks.map((pem, i) => {
    try {
      const cert = new X509Certificate(pem);
      return {
        pem: pem + '\n',
        subject: cert.subject.replace(/\n/g, ', '),
        fingerprint256: cert.fingerprint256,
        notAfter: new Date(cert.validTo),
        isCa: cert.ca,
      };
    } catch (err) {
      throw new ConfigError(file, key, `certificate #${i + 1} is not parsable PEM (${(err as Error).message})`);
    }
  });
}

export function parsePrivateKey(text: string, file: string, key: string): KeyObject {
  try {
    return createPrivateKey(text);
  } catch {
    // The message of a failed key parse can quote key material: never pass it on.
    throw new ConfigError(file, key, 'is not a parsable PEM private key');
  }
}

export function assertKeyMatches(certPem: string, keyObject: KeyObject, file: string, key: string): void {
  if (!new X509Certificate(certPem).checkPrivateKey(keyObject)) {
    throw new ConfigError(file, key, 'does not match the certificate in tls.cert');
  }
}
