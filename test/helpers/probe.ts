// What the probe tests need around a gateway: server certificates with every defect Meta refuses,
// a deliberately broken HTTPS server (one that is not hubgate), and the probe's verdict by check.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { issue, createRoot, createIntermediate, bundle, EKU_SERVER_AUTH, type Issued } from '../../src/tls/pki.js';
import { probe, type ProbeOptions } from '../../src/cli/probe.js';
import type { Check } from '../../src/cli/probe-report.js';

export interface ServerPki {
  root: Issued;
  intermediate: Issued;
  /** Writes a server certificate (and key) into `dir`; the result goes under `tls:` in gateway.yaml. */
  serverCert(dir: string, name: string, opts: { chain: 'full' | 'leaf' | 'self-signed'; dnsName?: string; days?: number }): Promise<{ cert: string; key: string }>;
}

/** A public-CA look-alike: root → intermediate → server leaf, as a real CA issues them. */
export async function createServerPki(): Promise<ServerPki> {
  const root = await createRoot('Probe Server Root');
  const intermediate = await createIntermediate('Probe Server Intermediate', root);
  return {
    root,
    intermediate,
    async serverCert(dir, name, { chain, dnsName = 'localhost', days = 365 }) {
      const leaf = await issue({
        subject: `CN=${dnsName}`, issuer: chain === 'self-signed' ? undefined : intermediate,
        extKeyUsages: [EKU_SERVER_AUTH], dnsNames: [dnsName], notAfter: new Date(Date.now() + days * 86_400_000),
      });
      const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
      writeFileSync(files.cert, chain === 'full' ? bundle(leaf, intermediate) : leaf.certPem);
      writeFileSync(files.key, leaf.keyPem);
      return files;
    },
  };
}

export interface BrokenServer {
  port: number;
  close(): Promise<void>;
}

/** The PEM text of a certificate and key written by serverCert (for a server that is not hubgate). */
export const pemOf = (files: { cert: string; key: string }) => ({ cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') });

/** An HTTPS server that is not hubgate: it answers every request with `respond`. */
export async function startBrokenHttps(
  tls: ServerOptions,
  respond: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<BrokenServer> {
  const server = createHttpsServer(tls, (req, res) => {
    req.resume();
    req.on('end', () => respond(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** A TCP server that hangs up on every connection before a TLS byte (an allowlist's refusal). */
export async function startHangUp(): Promise<BrokenServer> {
  const server: Server = createNetServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

export type Verdict = Record<string, Check>;

/** Runs the probe and indexes its checks by id. */
export async function probeUrl(url: string, options: Partial<Omit<ProbeOptions, 'url'>> = {}): Promise<Verdict> {
  const checks = await probe({ url: new URL(url), ca: [], timeoutMs: 5_000, ...options });
  return Object.fromEntries(checks.map((c) => [c.id, c]));
}

export const statuses = (v: Verdict): Record<string, string> => Object.fromEntries(Object.entries(v).map(([id, c]) => [id, c.status]));
