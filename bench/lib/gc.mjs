// Garbage-collection pauses from `node --trace-gc` output (V8's one line per collection):
//   [pid:0x…]  1234 ms: Mark-Compact 106.2 (145.3) -> 12.7 (77.6) MB, pooled: 54 MB, 17.39 / 0.00 ms
//     (+ 0.1 ms in 2 steps since start of marking, biggest step 0.1 ms, …) (average mu = …) reason
// The first figure after "MB," is the main-thread pause of that collection; incremental marking
// before a Mark-Compact runs in steps on the main thread too, and its biggest step is a pause of
// its own. Lines can share the log file with hubgate's JSON log (both on stdout), so they are
// matched anywhere in the text, not per line.
//
// Also usable alone: node bench/lib/gc.mjs LOGFILE [THRESHOLD_MS]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LINE = /\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: ([A-Za-z][\w-]*(?: [A-Z][\w-]*)*(?: \([\w ]+\))?) [\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms(?:\s+\(\+ ([\d.]+) ms in (\d+) steps since start of marking, biggest step ([\d.]+) ms)?/g;

/** @returns {{ t: number, kind: string, pause: number, incrementalMs: number, biggestStep: number }[]} */
export function parseTraceGc(text) {
  const out = [];
  for (const m of text.matchAll(LINE)) {
    out.push({ t: Number(m[1]), kind: m[2], pause: Number(m[3]), incrementalMs: Number(m[4] ?? 0), biggestStep: Number(m[6] ?? 0) });
  }
  return out;
}

/** Pauses within [fromMs, toMs] of the process's life (V8's timestamps), summarised. */
export function summariseGc(events, { fromMs = 0, toMs = Infinity, thresholdMs = 5 } = {}) {
  const inWindow = events.filter((e) => e.t >= fromMs && e.t <= toMs);
  const byKind = {};
  for (const e of inWindow) {
    const k = (byKind[e.kind] ??= { count: 0, totalMs: 0, maxMs: 0, over: 0 });
    k.count += 1;
    k.totalMs += e.pause;
    k.maxMs = Math.max(k.maxMs, e.pause);
    if (e.pause > thresholdMs) k.over += 1;
  }
  const pauses = inWindow.map((e) => e.pause).sort((a, b) => a - b);
  return {
    collections: inWindow.length,
    thresholdMs,
    maxPauseMs: pauses.length ? pauses[pauses.length - 1] : 0,
    p99PauseMs: pauses.length ? pauses[Math.min(pauses.length - 1, Math.floor(0.99 * pauses.length))] : 0,
    over: inWindow.filter((e) => e.pause > thresholdMs).length,
    totalPauseMs: pauses.reduce((a, b) => a + b, 0),
    maxIncrementalStepMs: Math.max(0, ...inWindow.map((e) => e.biggestStep)),
    stepsOver: inWindow.filter((e) => e.biggestStep > thresholdMs).length,
    byKind,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const events = parseTraceGc(readFileSync(process.argv[2], 'utf8'));
  process.stdout.write(`${JSON.stringify(summariseGc(events, { thresholdMs: Number(process.argv[3] ?? 5) }), null, 1)}\n`);
}
