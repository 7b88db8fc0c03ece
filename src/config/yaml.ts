// One YAML file → a value validated by a zod schema, or ConfigErrors naming the file and every
// key path at fault. Never quotes the source: a line of a config file may hold a secret.
import { readdirSync, statSync } from 'node:fs';
import { parseDocument, LineCounter } from 'yaml';
import type { ZodType } from 'zod';
import { ConfigError, ConfigErrors, keyPath } from './errors.js';
import { readFileOrFail } from './pem.js';

export function parseYaml<T>(path: string, schema: ZodType<T, any, any>): T {
  const text = readFileOrFail(path, path, '', 'config file');
  // prettyErrors would quote the offending source line, which may hold a secret: only the line
  // number is reported.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new ConfigError(path, line ? `line ${line}` : '', `invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const result = schema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  throw new ConfigErrors(
    result.error.issues.flatMap((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => new ConfigError(path, keyPath([...issue.path, k]), 'unknown key'));
      }
      // zod's own wording ("Expected string, received number"); custom messages pass through.
      if (issue.code === 'invalid_type' && /^(Expected|Required)/.test(issue.message)) {
        const got = issue.received === 'undefined' ? 'is required' : `must be ${issue.expected}, not ${issue.received}`;
        return new ConfigError(path, keyPath(issue.path), got);
      }
      return new ConfigError(path, keyPath(issue.path), issue.message);
    }),
  );
}

/** The `*.yaml`/`*.yml` files of a folder, sorted; undefined when it is not a readable folder.
 *  Hidden entries are skipped: Kubernetes mounts Secrets with `..data` symlink folders. */
export function yamlFiles(dir: string): string[] | undefined {
  try {
    if (!statSync(dir).isDirectory()) return undefined;
    return readdirSync(dir).filter((n) => !n.startsWith('.') && /\.ya?ml$/.test(n)).sort();
  } catch {
    return undefined;
  }
}
