// Cost of one request log line (SPEC §7) at `info`, in the same run, rounds interleaved:
//   pino          logger.info(entry, 'request') into pino.destination (sonic-boom, sync, 4 KiB batches)
//   pino + sink   logger.info(entry, 'request') into hubgate's LogSink
//   hubgate       writeRequestLine (src/server/request-log.ts) into the same LogSink
// Every line goes to /dev/null, so what is measured is building, serializing and handing over
// the line, not the disk. The numbers go in docs/decisions/0004-data-path.md.
// Run: npm run build && flock /tmp/hubgate-heavy.lock node bench/request-log.mjs [ROUNDS] [LINES]
import { openSync } from 'node:fs';
import pino from 'pino';
import { createLogger } from '../dist/log.js';
import { LogSink } from '../dist/log-sink.js';
import { writeRequestLine } from '../dist/server/request-log.js';

const ROUNDS = Number(process.argv[2] ?? 7);
const LINES = Number(process.argv[3] ?? 50_000);
const fd = openSync('/dev/null', 'w');

// A delivered 1 KB WhatsApp POST, as src/server/record.ts builds it.
const entry = () => ({
  app: 'whatsapp',
  method: 'POST',
  path: '/webhooks/whatsapp',
  status: 200,
  remote: '157.240.0.35',
  cert: 'b7c1d2e3f405162738495a6b7c8d9eafb7c1d2e3f405162738495a6b7c8d9eaf',
  ms: 1.84,
  upstreamMs: 1.21,
});

const contenders = {
  pino: (() => {
    const log = createLogger('info', pino.destination({ dest: fd, sync: true, minLength: 4096 }));
    return () => log.info(entry(), 'request');
  })(),
  'pino + sink': (() => {
    const log = createLogger('info', new LogSink(fd));
    return () => log.info(entry(), 'request');
  })(),
  hubgate: (() => {
    const log = createLogger('info', new LogSink(fd));
    return () => writeRequestLine(log, false, entry());
  })(),
};

const names = Object.keys(contenders);
const ns = Object.fromEntries(names.map((n) => [n, []]));
for (const n of names) for (let i = 0; i < LINES; i++) contenders[n](); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const n of names) {
    const f = contenders[n];
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < LINES; i++) f();
    ns[n].push(Number(process.hrtime.bigint() - t0) / LINES);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`Node ${process.version}, ${ROUNDS} rounds × ${LINES} lines, ns per line: median (min–max), ÷ hubgate per round`);
for (const n of names) {
  const ratios = ns[n].map((x, i) => x / ns.hubgate[i]);
  console.log(`${n.padEnd(12)} ${median(ns[n]).toFixed(0).padStart(6)} (${Math.min(...ns[n]).toFixed(0)}–${Math.max(...ns[n]).toFixed(0)})  ${median(ratios).toFixed(2)}×`);
}
