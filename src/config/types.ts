// The validated, resolved configuration the gateway is built from. Immutable: a reload builds a
// new one and swaps it atomically.
import type { GatewayFile, AppFile } from './schema.js';
import type { CertificateInfo } from './pem.js';

export interface TrustAnchor extends CertificateInfo {
  readonly file: string;
  readonly isDigiCertEvRoot: boolean;
}

export interface AppConfig {
  readonly name: string;
  readonly file: string;
  /** Lower-cased; undefined matches any Host. */
  readonly host: string | undefined;
  /** Route prefix without trailing slash; '' for the root. */
  readonly path: string;
  readonly upstream: string;
  readonly upstreamOrigin: string;
  /** Upstream path prefix without trailing slash; '' for the root. */
  readonly upstreamPath: string;
  /** appSecret first, then previousAppSecrets. */
  readonly secrets: readonly Buffer[];
  readonly verifyToken: Buffer | undefined;
  /** With a Redis URL given as a secret form resolved to the URL itself. */
  readonly dedupe: Omit<AppFile['dedupe'], 'store'> & { readonly store: Exclude<AppFile['dedupe']['store'], { redis: unknown }> | { readonly redis: string } };
}

export interface Config {
  readonly file: string;
  readonly listen: GatewayFile['listen'];
  readonly tls: {
    readonly certPem: string;
    readonly keyPem: string;
    readonly certFile: string;
    readonly notAfter: Date;
    readonly subject: string;
  };
  readonly clientAuth: Omit<GatewayFile['clientAuth'], 'trustAnchors'> & { readonly trustAnchors: readonly TrustAnchor[] };
  readonly allowlist: Omit<GatewayFile['allowlist'], 'cacheFile'> & { readonly cacheFile: string | undefined };
  readonly proxyProtocol: GatewayFile['proxyProtocol'];
  readonly limits: GatewayFile['limits'];
  readonly admin: GatewayFile['admin'];
  readonly log: GatewayFile['log'];
  readonly workers: GatewayFile['workers'];
  readonly watch: boolean;
  /** The resolved apps folder (watched when `watch` is on). */
  readonly appsDir: string;
  readonly apps: readonly AppConfig[];
  readonly warnings: readonly string[];
}
