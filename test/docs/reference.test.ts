// docs/ is the product's reference, and it must keep up with the code: every configuration key
// of src/config/schema.ts, every reason code of src/refusal.ts, every metric hubgate exports and
// every command is documented; README and docs link only to files in the repository, and the
// README's layout block matches src/. Each failure says what to add where.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { z, type ZodTypeAny } from 'zod';
import { gatewaySchema, appSchema, secretRef } from '../../src/config/schema.js';
import { REASONS } from '../../src/refusal.js';
import { definedMetricNames, defaultMetricNames, liveMetricNames, metricNames } from '../helpers/metric-names.js';

const ROOT = resolve(__dirname, '../..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

/** The part of a markdown file under one `## heading`, up to the next. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`missing section "## ${heading}"`);
  const next = text.indexOf('\n## ', start + 4);
  return text.slice(start, next === -1 ? undefined : next);
}

/** Every key path of a zod schema: `limits.maxBodyBytes`, `dedupe.store.redis`, `tenants[].name`.
 *  An object contributes its keys, not itself; a union of a plain value and objects (dedupe.store)
 *  is a key itself and contributes its objects' keys; a secret reference is one key. */
export function keyPaths(schema: ZodTypeAny, prefix = ''): string[] {
  const def = schema._def as { typeName: string; [k: string]: unknown };
  if (schema === secretRef) return [prefix];
  switch (def.typeName) {
    case z.ZodFirstPartyTypeKind.ZodDefault:
    case z.ZodFirstPartyTypeKind.ZodOptional:
    case z.ZodFirstPartyTypeKind.ZodNullable:
      return keyPaths(def.innerType as ZodTypeAny, prefix);
    case z.ZodFirstPartyTypeKind.ZodEffects:
      return keyPaths(def.schema as ZodTypeAny, prefix);
    case z.ZodFirstPartyTypeKind.ZodPipeline:
      return keyPaths(def.in as ZodTypeAny, prefix);
    case z.ZodFirstPartyTypeKind.ZodObject:
      return Object.entries((schema as z.AnyZodObject).shape).flatMap(([k, v]) => keyPaths(v as ZodTypeAny, prefix ? `${prefix}.${k}` : k));
    case z.ZodFirstPartyTypeKind.ZodArray: {
      const inner = keyPaths(def.type as ZodTypeAny, `${prefix}[]`);
      return inner.every((p) => p === `${prefix}[]`) ? [prefix] : [prefix, ...inner.filter((p) => p !== `${prefix}[]`)];
    }
    case z.ZodFirstPartyTypeKind.ZodUnion:
    case z.ZodFirstPartyTypeKind.ZodDiscriminatedUnion: {
      const options = (def.options as ZodTypeAny[] | Map<unknown, ZodTypeAny>);
      const nested = [...options.values()].flatMap((o) => keyPaths(o, prefix)).filter((p) => p !== prefix);
      return [...new Set([prefix, ...nested])];
    }
    default:
      return [prefix];
  }
}

describe('docs/configuration.md', () => {
  const doc = read('docs/configuration.md');

  it('finds nested keys, array elements and union members in a schema', () => {
    const s = z.object({ a: z.object({ b: z.number().default(1) }).default({}), l: z.array(z.object({ n: z.string() })), u: z.union([z.literal('x'), z.object({ y: secretRef })]) });
    expect(keyPaths(s)).toEqual(['a.b', 'l', 'l[].n', 'u', 'u.y']);
  });

  for (const [file, heading, schema] of [
    ['gateway.yaml', 'gateway.yaml', gatewaySchema],
    ['apps/<name>.yaml', 'apps/NAME.yaml', appSchema],
  ] as const) {
    it(`documents every key of ${file} with its type, default and meaning`, () => {
      const text = section(doc, heading);
      const missing = keyPaths(schema).filter((k) => !text.includes(`\`${k}\``));
      expect(missing, `docs/configuration.md, section "## ${heading}": add a table row | \`KEY\` | type | default | meaning | for each of ${missing.join(', ')} (from src/config/schema.ts)`).toEqual([]);
    });
  }
});

describe('docs/pipeline.md', () => {
  it('lists every reason code of src/refusal.ts with its stage and status', () => {
    const table = section(read('docs/pipeline.md'), 'Reason codes');
    for (const [reason, info] of Object.entries(REASONS)) {
      const row = table.split('\n').find((l) => l.startsWith(`| \`${reason}\` |`));
      expect(row, `docs/pipeline.md, "## Reason codes": add the row | \`${reason}\` | ${info.stage} | ${info.status} | ${info.message} | what to check |`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      expect([cells[2], cells[3]], `docs/pipeline.md: the row of \`${reason}\` must say stage ${info.stage}, status ${info.status} (src/refusal.ts)`).toEqual([info.stage, String(info.status)]);
    }
  });
});

describe('docs/monitoring.md', () => {
  const doc = read('docs/monitoring.md');
  let live: Set<string>;
  let defaults: Set<string>;
  beforeAll(async () => {
    [live, defaults] = await Promise.all([liveMetricNames(), defaultMetricNames()]);
  });
  const base = (name: string) => name.replace(/_(bucket|sum|count)$/, '');

  it('documents every metric src/admin/metrics.ts defines and a running gateway exports', () => {
    const ours = new Set([...definedMetricNames().keys(), ...[...live].filter((n) => !defaults.has(n)).map(base)]);
    const missing = [...ours].filter((n) => !doc.includes(`\`${n}\``));
    expect(missing, `docs/monitoring.md, "## Metrics": add a table row | \`NAME\` | type | labels | meaning | for each of ${missing.join(', ')}`).toEqual([]);
  });

  it('names every process metric that the dashboard or the alert rules use', () => {
    const dashboard = JSON.parse(read('deploy/grafana/hubgate.json')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
    const exprs = [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...read('deploy/prometheus/hubgate-alerts.yaml').matchAll(/expr: (.*)/g)].map((e) => (typeof e === 'string' ? e : e[1]!));
    const used = new Set(exprs.flatMap(metricNames).map(base).filter((n) => defaults.has(n) || defaults.has(`${n}_bucket`)));
    const missing = [...used].filter((n) => !doc.includes(`\`${n}\``));
    expect(missing, `docs/monitoring.md, "Process metrics": name ${missing.join(', ')}`).toEqual([]);
  });
});

describe('docs/cli.md', () => {
  const cli = read('src/cli.ts');
  const usage = cli.slice(cli.indexOf('const USAGE = `'), cli.indexOf('`;', cli.indexOf('const USAGE = `')));
  const doc = read('docs/cli.md');

  it('has a section for every command and mentions every option of the usage text', () => {
    const commands = [...usage.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(['serve', 'check', 'probe', 'allowlist', 'dev-pki', 'sign']));
    for (const c of commands) expect(doc, `docs/cli.md: add a section "## hubgate ${c}"`).toContain(`\n## hubgate ${c}\n`);
    for (const option of new Set([...usage.matchAll(/--[a-z-]+/g)].map((m) => m[0]))) {
      expect(doc, `docs/cli.md: document the option ${option}`).toContain(option);
    }
  });
});

describe('links and layout', () => {
  const markdown = ['README.md', ...readdirSync(join(ROOT, 'docs'), { recursive: true }).map(String).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

  it('links only to files that exist inside the repository', () => {
    for (const file of markdown) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const path = resolve(dirname(join(ROOT, file)), target!.split('#')[0]!);
        const inside = !relative(ROOT, path).startsWith('..');
        expect(inside && existsSync(path), `${file}: the link ${target} must point to a file in the repository`).toBe(true);
      }
    }
  });

  it('has a README layout block that names every entry of src/ and only paths that exist', () => {
    const readme = read('README.md');
    const block = readme.slice(readme.indexOf('## Development'));
    const listed = [...block.matchAll(/^(src\/\S*)/gm)].map((m) => m[1]!);
    for (const p of listed) expect(existsSync(join(ROOT, p)), `README.md layout: ${p} does not exist`).toBe(true);
    for (const entry of readdirSync(join(ROOT, 'src'))) {
      const name = `src/${entry}${statSync(join(ROOT, 'src', entry)).isDirectory() ? '/' : ''}`;
      expect(listed, `README.md, "## Development": add a line for ${name}`).toContain(name);
    }
  });
});
