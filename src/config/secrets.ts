// Secrets come from the environment, a file (a mounted Kubernetes Secret, a 0600 file) or,
// for development only, the YAML itself. The value never appears in any message.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SecretRef } from './schema.js';
import { ConfigError } from './errors.js';

export function readSecret(ref: SecretRef, file: string, key: string, baseDir: string, env: NodeJS.ProcessEnv): Buffer {
  if (ref.value !== undefined) return Buffer.from(ref.value, 'utf8');
  if (ref.env !== undefined) {
    const value = env[ref.env];
    if (value === undefined || value === '') {
      throw new ConfigError(file, key, `environment variable ${ref.env} is not set or empty`);
    }
    return Buffer.from(value, 'utf8');
  }
  const path = resolve(baseDir, ref.file!);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(file, key, `cannot read secret file ${ref.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // `echo secret > file` and mounted Secrets often end with one newline that is not part of it.
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new ConfigError(file, key, `secret file ${ref.file} is empty`);
  return Buffer.from(value, 'utf8');
}
