// The validated, resolved configuration the gateway is built from. Immutable: a reload builds a
// new one and swaps it atomically.
import type { GatewayFile, AppFile } from './schema.js';
import type { CertificateInfo } from './pem.js';
import type { TlsPolicy } from '../tls/policy.js';
import type { RevocationList } from '../tls/crl.js';

export interface TrustAnchor extends CertificateInfo {
  readonly file: string;
  readonly isDigiCertEvRoot: boolean;
}

/** Where events go (SPEC.md §9): a tenant, a fan-out destination, or the app's own upstream. */
export interface Destination {
  /** Unique within the app; the app's own upstream is `upstream`. Named in logs and metrics. */
  readonly name: string;
  readonly upstream: string;
  readonly upstreamOrigin: string;
  /** Upstream path prefix without trailing slash; '' for the root. */
  readonly upstreamPath: string;
  /** Meta gets 2xx only if every required destination that received events answered 2xx.
   *  Tenants and the app's upstream always are. */
  readonly required: boolean;
  /** Bodies hubgate writes for it are signed with this; undefined: the app secret. */
  readonly signingSecret: Buffer | undefined;
}

export interface Tenant extends Destination {
  /** The file it was read from: the app file, or its own file in `tenantsDir`. */
  readonly file: string;
  readonly phoneNumberIds: readonly string[];
  readonly entryIds: readonly string[];
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
  /** SPEC §9; empty when the app routes nothing. */
  readonly tenants: readonly Tenant[];
  readonly fanOut: readonly Destination[];
  /** The resolved `tenantsDir` (watched with the apps folder), if any. */
  readonly tenantsDir: string | undefined;
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
    readonly policy: TlsPolicy;
    /** Keys from tls.ticketKeyFile (first encrypts, all decrypt); undefined: the gateway makes its own. */
    readonly ticketKeyFile: string | undefined;
    readonly ticketKeys: readonly Buffer[] | undefined;
    readonly ticketKeyRotationSeconds: number;
  };
  readonly clientAuth: Omit<GatewayFile['clientAuth'], 'trustAnchors' | 'crls' | 'crlIssuers'> & {
    readonly trustAnchors: readonly TrustAnchor[];
    readonly crls: readonly RevocationList[];
    readonly crlIssuers: readonly CertificateInfo[];
  };
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
