// The one certificate the project ships: the DigiCert High Assurance EV Root CA that Meta's
// DigiCert-signed client certificate chains to. Its fingerprint is pinned by SPEC.md §4.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { DIGICERT_EV_ROOT_SHA256 } from '../src/config/pem.js';

const CERTS_DIR = 'certs';
const FILE = join(CERTS_DIR, 'DigiCert_High_Assurance_EV_Root_CA.pem');
/** Copied from SPEC.md §4, not from the code. */
const SPEC_SHA256 = '74:31:E5:F4:C3:C1:CE:46:90:77:4F:0B:61:E0:54:40:88:3B:A9:A0:1E:D0:0B:A6:AB:D7:80:6E:D3:B1:18:CF';

const pem = readFileSync(FILE, 'utf8');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('certs/DigiCert_High_Assurance_EV_Root_CA.pem', () => {
  it('holds exactly one certificate', () => {
    expect(pem.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(1);
    expect(pem.match(/-----END CERTIFICATE-----/g)).toHaveLength(1);
  });

  it('parses as an X.509 certificate', () => {
    expect(() => new X509Certificate(pem)).not.toThrow();
  });

  it('is a CA certificate', () => {
    expect(new X509Certificate(pem).ca).toBe(true);
  });

  it('has the subject CN DigiCert High Assurance EV Root CA', () => {
    const cns = new X509Certificate(pem).subject.split('\n').filter((rdn) => rdn.startsWith('CN='));
    expect(cns).toEqual(['CN=DigiCert High Assurance EV Root CA']);
  });

  it('is self-signed', () => {
    const cert = new X509Certificate(pem);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
  });

  it('has the SHA-256 fingerprint given in SPEC.md §4', () => {
    expect(new X509Certificate(pem).fingerprint256).toBe(SPEC_SHA256);
  });

  it('pins the same fingerprint in the code as in SPEC.md §4', () => {
    expect(DIGICERT_EV_ROOT_SHA256).toBe(SPEC_SHA256);
  });
});

describe('certs/', () => {
  it('holds no private key', () => {
    const files = filesUnder(CERTS_DIR);
    expect(files.length).toBeGreaterThan(0);
    const withKeys = files.filter((f) => readFileSync(f, 'latin1').includes('PRIVATE KEY'));
    expect(withKeys).toEqual([]);
  });
});
