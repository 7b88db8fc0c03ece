// The log sink (src/log-sink.ts): lines reach the file descriptor whole, in order, batched, and
// none is lost at exit.
import { describe, it, expect, afterEach } from 'vitest';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LogSink } from '../src/log-sink.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function target(): { file: string; fd: number } {
  const dir = mkdtempSync(join(tmpdir(), 'hubgate-sink-'));
  dirs.push(dir);
  const file = join(dir, 'out.log');
  return { file, fd: openSync(file, 'a') };
}

describe('the log sink', () => {
  it('holds lines until 32 KiB are buffered, then writes them in one piece, in order', () => {
    const { file, fd } = target();
    const sink = new LogSink(fd);
    sink.write('{"n":0}\n');
    expect(readFileSync(file, 'utf8')).toBe('');
    const lines = Array.from({ length: 2_000 }, (_, i) => `{"n":${i + 1},"pad":"${'x'.repeat(20)}","é":"\u00e9"}\n`);
    for (const l of lines) sink.write(l);
    const written = readFileSync(file, 'utf8');
    expect(written.length).toBeGreaterThan(0);
    sink.close();
    expect(readFileSync(file, 'utf8')).toBe(['{"n":0}\n', ...lines].join(''));
    expect(written.length).toBeLessThan(readFileSync(file, 'utf8').length);
    closeSync(fd);
  });

  it('writes a line larger than its buffer whole, after what came before', () => {
    const { file, fd } = target();
    const sink = new LogSink(fd);
    sink.write('first\n');
    const big = `${'y'.repeat(100_000)}\n`;
    sink.write(big);
    sink.write('last\n');
    sink.close();
    expect(readFileSync(file, 'utf8')).toBe(`first\n${big}last\n`);
    closeSync(fd);
  });

  it('writes what is buffered when the process exits', () => {
    const script = `import('${resolve(__dirname, '../dist/log-sink.js')}').then(({ LogSink }) => { new LogSink().write('bye\\n'); process.exit(0); })`;
    expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })).toBe('bye\n');
  });
});
