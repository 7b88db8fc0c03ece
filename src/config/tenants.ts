// SPEC.md §9 configuration: `tenants` inline or one file per tenant in `tenantsDir` (so each
// tenant's signing secret can be mounted on its own), and `fanOut`. Checked so that routing can
// never depend on file order: an id listed twice is an error, as is routing without dedupe.
import { basename, dirname, join, resolve } from 'node:path';
import { tenantSchema, type AppFile, type SecretRef, type TenantFile } from './schema.js';
import { ConfigError } from './errors.js';
import { readSecret } from './secrets.js';
import { parseYaml, yamlFiles } from './yaml.js';
import type { Destination, Tenant } from './types.js';

/** The name logs and metrics give the app's own upstream; no tenant or fan-out may take it. */
export const APP_UPSTREAM = 'upstream';

interface Loaded {
  readonly tenants: Tenant[];
  readonly fanOut: Destination[];
  readonly tenantsDir: string | undefined;
}

function destination(
  o: { name: string; upstream: string; signingSecret?: SecretRef | undefined },
  required: boolean,
  file: string,
  key: string,
  env: NodeJS.ProcessEnv,
): Destination {
  const url = new URL(o.upstream);
  return {
    name: o.name,
    upstream: url.href,
    upstreamOrigin: url.origin,
    upstreamPath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
    required,
    signingSecret: o.signingSecret ? readSecret(o.signingSecret, file, `${key}signingSecret`, dirname(file), env) : undefined,
  };
}

function tenant(t: TenantFile, file: string, key: string, env: NodeJS.ProcessEnv): Tenant {
  return Object.freeze({ ...destination(t, true, file, key, env), file, phoneNumberIds: t.phoneNumberIds, entryIds: t.entryIds });
}

function readTenantsDir(appFile: string, dir: string, key: string, env: NodeJS.ProcessEnv): Tenant[] {
  const names = yamlFiles(dir);
  if (names === undefined) throw new ConfigError(appFile, 'tenantsDir', `${key} is not a readable folder`);
  return names.map((n) => {
    const file = join(dir, n);
    return tenant(parseYaml(file, tenantSchema), file, '', env);
  });
}

/** Where a tenant's key lives, for messages: `tenants[2].` inline, `` in its own file. */
function keyOf(t: Tenant, inline: readonly Tenant[]): string {
  const i = inline.indexOf(t);
  return i === -1 ? '' : `tenants[${i}].`;
}

function checkUnique(app: AppFile, appFile: string, tenants: readonly Tenant[], inline: readonly Tenant[], fanOut: readonly Destination[]): void {
  const names = new Map<string, string>();
  const claim = (name: string, file: string, key: string, what: string): void => {
    if (name === APP_UPSTREAM) throw new ConfigError(file, `${key}name`, `"${APP_UPSTREAM}" names the app's own upstream: choose another name`);
    const other = names.get(name);
    if (other) throw new ConfigError(file, `${key}name`, `"${name}" is already the name of ${other}`);
    names.set(name, what);
  };
  for (const t of tenants) claim(t.name, t.file, keyOf(t, inline), `tenant ${t.name} (${basename(t.file)})`);
  fanOut.forEach((f, i) => claim(f.name, appFile, `fanOut[${i}].`, `a fanOut destination`));
  for (const list of ['phoneNumberIds', 'entryIds'] as const) {
    const owners = new Map<string, Tenant>();
    for (const t of tenants) {
      t[list].forEach((id, i) => {
        const owner = owners.get(id);
        if (owner) {
          const where = owner === t ? 'this tenant already' : `tenant ${owner.name} (${basename(owner.file)})`;
          throw new ConfigError(t.file, `${keyOf(t, inline)}${list}[${i}]`, `"${id}" is already listed by ${where}: an id routes to one tenant`);
        }
        owners.set(id, t);
      });
    }
  }
  if ((app.tenants !== undefined || app.tenantsDir !== undefined || fanOut.length > 0) && !app.dedupe.enabled) {
    throw new ConfigError(
      appFile,
      'dedupe.enabled',
      'must be true with tenants, tenantsDir or fanOut: Meta retries a failed delivery whole, and only event dedupe keeps the destinations that already answered 2xx from getting their events twice',
    );
  }
}

export function loadTenants(app: AppFile, appFile: string, env: NodeJS.ProcessEnv): Loaded {
  if (app.tenants !== undefined && app.tenantsDir !== undefined) {
    throw new ConfigError(appFile, 'tenantsDir', 'use either tenants or tenantsDir, not both');
  }
  const inline = (app.tenants ?? []).map((t, i) => tenant(t, appFile, `tenants[${i}].`, env));
  const tenantsDir = app.tenantsDir === undefined ? undefined : resolve(dirname(appFile), app.tenantsDir);
  const tenants = tenantsDir === undefined ? inline : readTenantsDir(appFile, tenantsDir, app.tenantsDir!, env);
  const fanOut = app.fanOut.map((f, i) => Object.freeze(destination(f, f.required, appFile, `fanOut[${i}].`, env)));
  checkUnique(app, appFile, tenants, inline, fanOut);
  return { tenants, fanOut, tenantsDir };
}
