// Config errors name the file and the key path (SPEC.md §3), e.g.
// `config/apps/shop.yaml: upstream: must be an http:// URL`. They never carry a secret value.
import { relative, isAbsolute } from 'node:path';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly keyPath: string,
    readonly detail: string,
  ) {
    super(`${displayPath(file)}: ${keyPath ? `${keyPath}: ` : ''}${detail}`);
  }
}

/** Several problems found in one pass: the operator fixes them all in one go. */
export class ConfigErrors extends Error {
  override readonly name = 'ConfigErrors';
  constructor(readonly errors: ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** zod's path → `clientAuth.trustAnchors[0]`. */
export function keyPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}
