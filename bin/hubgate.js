#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm ci` through the `prepare` script).
//
// `serve` runs with V8's young generation capped at 8 MiB semi-spaces instead of Node 24's
// 16 MiB: under load the young generation fills whatever it is given, and per-request garbage
// dies young, so a smaller one keeps resident memory down at no cost in throughput (4 MiB
// promoted enough to bring 8–12 ms mark-compacts; docs/decisions/0004-data-path.md). The flag
// must be set before V8 starts, so the process replaces itself with one that has it (same PID,
// for systemd and the drain), where Node can (process.execve, Node 22.15+). A
// --max-semi-space-size given by the operator, on the command line or in NODE_OPTIONS, is left
// alone.
const FLAGS = ['--max-semi-space-size=8'];
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--max-semi-space-size'));
if (process.argv[2] === 'serve' && !given && typeof process.execve === 'function') {
  try {
    process.execve(process.execPath, [process.execPath, ...FLAGS, ...process.execArgv, ...process.argv.slice(1)]);
  } catch {
    // Not allowed here (a sandbox): run as started, with V8's defaults.
  }
}

import('../dist/cli.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  process.stderr.write(`hubgate: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
