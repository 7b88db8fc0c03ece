// Summarise a V8 .cpuprofile (node --cpu-prof): self time per function, and per package/file.
// Usage: node cpuprofile-top.mjs FILE.cpuprofile [N]   → JSON on stdout
import { readFileSync } from 'node:fs';

export function summarise(profile, n = 25) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fn = new Map();
  const area = new Map();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const short = url.replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/(dist|bench)\//, '$1/').replace(/^file:\/\//, '');
    const key = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    const where = !url
      ? functionName.startsWith('(') ? functionName : `(native) ${functionName}`
      : url.includes('/node_modules/')
        ? url.replace(/^.*\/node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1')
        : url.startsWith('node:')
          ? url
          : short;
    area.set(where, (area.get(where) ?? 0) + us);
  }
  const top = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Math.round((1000 * us) / total) / 10 }));
  return { totalMs: Math.round(total / 1000), functions: top(fn), areas: top(area) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = summarise(JSON.parse(readFileSync(process.argv[2], 'utf8')), Number(process.argv[3] ?? 25));
  process.stdout.write(JSON.stringify(result, null, 1) + '\n');
}
