// Every key, type and default of gateway.yaml and apps/*.yaml (SPEC.md §3), in one place.
// Strict objects: an unknown key is a typo an operator wants to hear about, not a silent no-op.
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

/** `{ env: NAME }`, `{ file: path }` or `{ value: "…" }` — exactly one. */
const SECRET_FORMS = 'must be one of { env: NAME }, { file: PATH } or { value: "…" }';
export const secretRef = z
  .object(
    { env: z.string().min(1).optional(), file: z.string().min(1).optional(), value: z.string().min(1).optional() },
    { errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_type' ? SECRET_FORMS : ctx.defaultError }) },
  )
  .strict()
  .refine((r) => [r.env, r.file, r.value].filter((v) => v !== undefined).length === 1, SECRET_FORMS);
export type SecretRef = z.infer<typeof secretRef>;

const cidr = z.string().min(1);

/** redis://[user:password@]host:port[/db] or rediss://… */
export const REDIS_URL = /^rediss?:\/\/[^\s]+$/;

export const gatewaySchema = z
  .object({
    listen: z
      .object({ host: z.string().min(1).default('0.0.0.0'), port: port.default(8443) })
      .strict()
      .default({}),
    tls: z
      .object({
        cert: z.string().min(1),
        key: z.string().min(1),
        // Default policy (src/tls/policy.ts): TLS 1.2 and 1.3, TLS 1.2 limited to ECDHE with
        // AES-GCM or ChaCha20-Poly1305 (Mozilla "intermediate").
        minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
        ciphers: z.string().min(1).optional(),
        // Session-ticket keys shared by several replicas (src/tls/ticket-keys.ts for the format).
        ticketKeyFile: z.string().min(1).optional(),
        // Without ticketKeyFile: how often the primary replaces the key every worker encrypts
        // tickets with (the previous key still decrypts for one more period).
        ticketKeyRotationSeconds: positiveInt.max(7 * 86_400).default(3_600),
      })
      .strict(),
    clientAuth: z
      .object({
        trustAnchors: z.array(z.string().min(1)).min(1, 'must list at least one PEM file'),
        commonNames: z
          .array(z.string().min(1))
          .min(1, 'must list at least one name')
          .default(['client.webhooks.fbclientcerts.com']),
        maxChainDepth: z.number().int().min(1).max(10).default(3),
        verificationWithoutCertificate: z.boolean().default(true),
        // CRL files (PEM or DER): a revoked leaf or intermediate is refused (cert_revoked).
        crls: z.array(z.string().min(1)).default([]),
        // Certificates of intermediate CAs whose CRLs are listed in crls: their signatures are
        // checked against these at load. Never trusted by themselves.
        crlIssuers: z.array(z.string().min(1)).default([]),
        // A CRL past its nextUpdate: refuse every chain it covers, or keep applying it and warn.
        crlExpired: z.enum(['refuse', 'warn']).default('refuse'),
      })
      .strict(),
    allowlist: z
      .object({
        enabled: z.boolean().default(false),
        asn: z
          .string()
          .regex(/^AS\d+$/, 'must look like AS32934')
          .default('AS32934'),
        whois: z
          .object({
            host: z.string().min(1).default('whois.radb.net'),
            port: port.default(43),
            timeoutMs: positiveInt.default(10_000),
          })
          .strict()
          .default({}),
        refreshSeconds: positiveInt.min(60, 'must be at least 60').default(86_400),
        cacheFile: z.string().min(1).optional(),
        maintainers: z.array(z.string().min(1)).default([]),
        extraCidrs: z.array(cidr).default([]),
      })
      .strict()
      .default({}),
    proxyProtocol: z
      .object({
        enabled: z.boolean().default(false),
        trustedProxies: z.array(cidr).default([]),
        headerTimeoutMs: positiveInt.default(5_000),
      })
      .strict()
      .default({}),
    limits: z
      .object({
        maxBodyBytes: positiveInt.default(4 * 1024 * 1024),
        maxHeaderBytes: positiveInt.default(16 * 1024),
        headersTimeoutMs: positiveInt.default(10_000),
        requestTimeoutMs: positiveInt.default(30_000),
        upstreamTimeoutMs: positiveInt.default(20_000),
        keepAliveTimeoutMs: positiveInt.default(65_000),
        maxConnections: positiveInt.default(10_000),
        shutdownGraceMs: positiveInt.default(25_000),
      })
      .strict()
      .default({}),
    admin: z
      .object({ host: z.string().min(1).default('127.0.0.1'), port: port.default(9090) })
      .strict()
      .default({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({}),
    workers: z.union([positiveInt, z.literal('auto')], {
      errorMap: () => ({ message: 'must be a positive integer or "auto"' }),
    }).default(1),
    apps: z.string().min(1).default('apps/'),
    // Reload when the config or apps folder changes (Kubernetes updates mounted Secrets in place).
    watch: z.boolean().default(false),
  })
  .strict();
export type GatewayFile = z.infer<typeof gatewaySchema>;

const dedupeSchema = z
  .object({
    enabled: z.boolean().default(false),
    ttlSeconds: positiveInt.default(129_600),
    // `memory` (a bounded LRU in this process) or `{ redis: URL }`, shared by replicas. The URL
    // may hold a password, so it takes the secret forms too; the loader resolves them.
    store: z
      .union(
        [
          z.literal('memory'),
          z.object({ memory: z.object({ maxEntries: z.number().int().min(1).max(16_000_000).optional() }).strict() }).strict(),
          z.object({ redis: z.union([z.string().regex(REDIS_URL, 'must be a redis:// or rediss:// URL'), secretRef]) }).strict(),
        ],
        { errorMap: () => ({ message: 'must be memory, { memory: { maxEntries: N } } or { redis: URL } with URL "redis://host:port", { env: NAME }, { file: PATH } or { value: "…" }' }) },
      )
      .default('memory'),
  })
  .strict();

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NAME_RULE = 'must be 1–64 letters, digits, _ . -';

const httpUpstream = z.string().refine((u) => {
  try {
    const url = new URL(u);
    return url.protocol === 'http:' && url.search === '' && url.hash === '' && url.username === '';
  } catch {
    return false;
  }
}, 'must be an http:// URL without query, fragment or credentials');

// Meta's ids are strings: an unquoted 17-digit Instagram id would reach YAML as an inexact number.
const metaId = z.string({
  errorMap: (issue, ctx) => ({
    message: issue.code === 'invalid_type' ? 'must be a quoted string ("106540352242922"): YAML reads long unquoted numbers inexactly' : ctx.defaultError,
  }),
}).regex(/^[^\s]+$/, 'must be a non-empty id without spaces');

/** SPEC §9: a tenant takes the events of its phone numbers, then of its entry ids (WABA, Page or
 *  Instagram account). Inline under `tenants:`, or one file per tenant in `tenantsDir`. */
export const tenantSchema = z
  .object({
    name: z.string().regex(NAME, NAME_RULE),
    phoneNumberIds: z.array(metaId).default([]),
    entryIds: z.array(metaId).default([]),
    upstream: httpUpstream,
    // Rewritten bodies are signed with it; default: the app secret.
    signingSecret: secretRef.optional(),
  })
  .strict()
  .refine((t) => t.phoneNumberIds.length + t.entryIds.length > 0, 'must list at least one phoneNumberIds or entryIds value');
export type TenantFile = z.infer<typeof tenantSchema>;

/** SPEC §9: every event of the app also goes here. `required: false` → a failure is counted,
 *  never retried by hubgate, and does not make Meta retry. */
const fanOutSchema = z
  .object({
    name: z.string().regex(NAME, NAME_RULE),
    upstream: httpUpstream,
    required: z.boolean().default(true),
    signingSecret: secretRef.optional(),
  })
  .strict();

export const appSchema = z
  .object({
    name: z.string().regex(NAME, NAME_RULE),
    host: z.string().min(1).optional(),
    path: z
      .string()
      .regex(/^\/[^?#\s]*$/, 'must start with / and hold no query, fragment or space')
      .refine((p) => p === '/' || !p.endsWith('/'), 'must not end with / (prefixes match on segment boundaries)')
      .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain . or .. segments'),
    upstream: httpUpstream,
    appSecret: secretRef,
    previousAppSecrets: z.array(secretRef).default([]),
    verifyToken: secretRef.optional(),
    dedupe: dedupeSchema.default({}),
    tenants: z.array(tenantSchema).optional(),
    // A folder of tenant files (relative to this app file), reloaded with the config.
    tenantsDir: z.string().min(1).optional(),
    fanOut: z.array(fanOutSchema).default([]),
  })
  .strict();
export type AppFile = z.infer<typeof appSchema>;
