// The probe's checklist: one line per check with ✓ / ✗ / ⚠ / –, the fix under each line that
// needs one, and the same as one JSON object for scripts.

/** pass and fail decide the exit code; a warning is worth reading but blocks nothing; a skipped
 *  check could not run (an earlier step failed, or an option it needs was not given). */
export type Status = 'pass' | 'fail' | 'warn' | 'skip';

export interface Check {
  readonly id: string;
  readonly title: string;
  readonly status: Status;
  readonly detail: string;
  readonly fix?: string;
}

export const pass = (id: string, title: string, detail: string): Check => ({ id, title, status: 'pass', detail });
export const fail = (id: string, title: string, detail: string, fix: string): Check => ({ id, title, status: 'fail', detail, fix });
export const warn = (id: string, title: string, detail: string, fix?: string): Check =>
  fix === undefined ? { id, title, status: 'warn', detail } : { id, title, status: 'warn', detail, fix };
export const skip = (id: string, title: string, detail: string): Check => ({ id, title, status: 'skip', detail });

const MARK: Record<Status, string> = { pass: '✓', fail: '✗', warn: '⚠', skip: '–' };

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function passed(checks: readonly Check[]): boolean {
  return checks.every((c) => c.status !== 'fail');
}

export function formatChecklist(url: string, checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.title.length));
  const lines = [`hubgate probe ${url}`, ''];
  for (const c of checks) {
    lines.push(`${MARK[c.status]} ${c.title.padEnd(width)}  ${c.detail}`);
    if (c.fix) lines.push(`  ${' '.repeat(width)}  fix: ${c.fix}`);
  }
  const count = (s: Status) => checks.filter((c) => c.status === s).length;
  lines.push(
    '',
    `${count('pass')} of ${checks.length} checks passed (${count('fail')} failed, ${plural(count('warn'), 'warning')}, ${count('skip')} skipped): ` +
      (passed(checks) ? 'no required check failed' : 'fix the ✗ lines before pointing Meta here'),
  );
  return lines.join('\n') + '\n';
}

export function formatJson(url: string, checks: readonly Check[]): string {
  return JSON.stringify({ url, ok: passed(checks), checks }, null, 2) + '\n';
}
