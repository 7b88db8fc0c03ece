// `hubgate sign --secret-env VAR [FILE]`: the X-Hub-Signature-256 value Meta would send for a
// body. The secret comes from the environment so it never lands in shell history.
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { parse, guarded, UsageError } from './args.js';

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function runSign(argv: string[]): Promise<number> {
  return guarded(async () => {
    const { values, positionals } = parse(argv, { 'secret-env': { type: 'string' } }, true);
    const variable = values['secret-env'];
    if (!variable) throw new UsageError('sign: --secret-env VAR is required');
    const secret = process.env[variable];
    if (!secret) throw new UsageError(`sign: environment variable ${variable} is not set or empty`);
    if (positionals.length > 1) throw new UsageError('sign: at most one FILE');
    const body = positionals[0] ? readFileSync(positionals[0]) : await readStdin();
    process.stdout.write(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}\n`);
    return 0;
  });
}
