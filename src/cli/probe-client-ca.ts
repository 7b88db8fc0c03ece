// Does the server ask for a client certificate, and will Meta find its CA among the names the
// server advertises? A TLS client picks the certificate to send from the CertificateRequest's
// CA list; a server that does not ask (TLS terminated by a load balancer in front of the gateway,
// say) makes mTLS impossible. hubgate advertises the subjects of its clientAuth.trustAnchors.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { x509 } from '../tls/x509.js';
import { ALERT, type HelloResult } from './probe-hello.js';
import { pass, fail, warn, skip, plural, type Check } from './probe-report.js';

export interface NamedCa {
  readonly subject: string;
  readonly der: Buffer;
}

const DIGICERT_FILE = new URL('../../certs/DigiCert_High_Assurance_EV_Root_CA.pem', import.meta.url);

/** Subject names (display and exact DER) of every certificate in a PEM file. */
export function caSubjects(pem: string): NamedCa[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => {
    const subject = new x509.X509Certificate(b).subjectName;
    return { subject: subject.toString(), der: Buffer.from(subject.toArrayBuffer()) };
  });
}

export function digicertRoot(): NamedCa {
  return caSubjects(readFileSync(DIGICERT_FILE, 'utf8'))[0]!;
}

function display(der: Buffer): string {
  try {
    return new x509.Name(new Uint8Array(der)).toString();
  } catch {
    return `(unparsable name, ${der.length} bytes)`;
  }
}

export function sentCertificates(hello: HelloResult): X509Certificate[] | undefined {
  if (hello.kind !== 'tls12') return undefined;
  try {
    return hello.certificates.map((der) => new X509Certificate(der));
  } catch {
    return undefined;
  }
}

export function checkClientCertRequest(hello: HelloResult): Check {
  const title = 'client certificate';
  if (hello.kind === 'tls12') {
    return hello.certificateRequest
      ? pass('client_cert_request', title, `the server asks for one (TLS 1.2 CertificateRequest naming ${plural(hello.certificateRequest.caNames.length, 'CA')})`)
      : fail('client_cert_request', title, 'the server does not ask for a client certificate: Meta’s mTLS cannot work',
        'TLS must terminate in hubgate (it always asks), not in a load balancer, CDN or proxy in front of it; another server must be set to request one (nginx: ssl_verify_client optional)');
  }
  if (hello.kind === 'alert' && hello.description === ALERT.protocol_version) {
    return warn('client_cert_request', title, 'not confirmed: the server speaks only TLS 1.3, where the CertificateRequest is encrypted and cannot be read from outside');
  }
  const why = hello.kind === 'alert' ? `TLS alert ${hello.description}` : hello.message;
  return warn('client_cert_request', title, `not confirmed: the TLS 1.2 handshake could not be read (${why})`);
}

export function checkClientCaNames(hello: HelloResult, digicert: NamedCa, metaCa: NamedCa[] | undefined): Check {
  const id = 'client_ca_names';
  const title = 'client CA names';
  if (hello.kind !== 'tls12' || !hello.certificateRequest) return skip(id, title, 'no readable CertificateRequest (see the line above)');
  const names = hello.certificateRequest.caNames;
  if (names.length === 0) {
    return warn(id, title, 'the server asks for a certificate but names no CA', 'list Meta’s CA in the server’s client CA list (hubgate: clientAuth.trustAnchors)');
  }
  const has = (ca: NamedCa) => names.some((n) => n.equals(ca.der));
  const shown = names.slice(0, 4).map(display).join('; ') + (names.length > 4 ? `; +${names.length - 4} more` : '');
  const addMeta = 'download meta-outbound-api-ca-2025-12.pem from the mTLS section of Meta’s Webhooks guide and list it in clientAuth.trustAnchors (hubgate advertises its trust anchors)';
  if (metaCa) {
    const found = metaCa.filter(has);
    return found.length > 0
      ? pass(id, title, `Meta’s CA from --meta-ca is advertised (${found[0]!.subject})`)
      : warn(id, title, `Meta’s CA from --meta-ca (${metaCa[0]?.subject ?? 'no certificate'}) is not among the ${names.length} advertised: ${shown}`, addMeta);
  }
  if (has(digicert)) {
    return pass(id, title, `DigiCert High Assurance EV Root CA is advertised; Meta’s own CA not checked (pass --meta-ca FILE to compare its exact subject) — all ${names.length}: ${shown}`);
  }
  return warn(id, title, `neither the DigiCert High Assurance EV Root CA nor a confirmed Meta CA (no --meta-ca given) among the ${names.length} advertised: ${shown}`, addMeta);
}
