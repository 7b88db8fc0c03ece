// RESULTS.md's issue 12 section: Meta events routed to tenants. hubgate only — nginx and nginx +
// njs cannot route per event, so there is no nginx row to invent — each scenario beside the
// plain 1 KB forward (ka1k) of the same table's hubgate, paired per round.
import { fmt, median, range, verdict } from './report-data.mjs';
import { pacedBy } from './report-tables.mjs';
import { SCENARIOS, appOf } from './scenarios.mjs';

const EVENT_SCENARIOS = Object.keys(SCENARIOS).filter((s) => SCENARIOS[s].events);
/** The hubgate whose ka1k an events target is compared with: the same name without ", events". */
const plainOf = (name) => name.replace(/, events$/, '');

/** Per round: the events run's metric ÷ the plain hubgate's ka1k metric of the same round. */
function perRound(runs, plain, metric) {
  const out = [];
  for (const r of runs) {
    const o = plain.find((x) => x.round === r.round);
    if (o && r[metric] !== null && o[metric]) out.push(r[metric] / o[metric]);
  }
  return out;
}

function ratio(xs) {
  const m = median(xs);
  const rg = range(xs);
  return m === null ? '—' : `**${fmt(m, 2)}×**${xs.length > 1 ? ` (${fmt(rg[0], 2)}–${fmt(rg[1], 2)})` : ''}`;
}

/** Whether every run of a scenario matched the job exactly (lib/accounting.mjs). */
function checked(runs) {
  const problems = runs.flatMap((r) => r.accounting.problems.map((p) => `round ${r.round + 1}: ${p}`));
  const deliveries = runs.reduce((n, r) => n + r.accounting.deliveries, 0);
  const posts = runs.reduce((n, r) => n + r.accounting.upstreamRequests, 0);
  return { ok: problems.length === 0, text: `${fmt(posts / Math.max(1, deliveries), 3)} (${fmt(posts)} / ${fmt(deliveries)})${verdict(problems.length === 0)}`, problems };
}

function eventsTable(result, table, L) {
  const runs = result.runs.filter((r) => r.table === table);
  const evTargets = [...new Set(runs.filter((r) => r.events).map((r) => r.target))];
  if (!evTargets.length) return [];
  const pinned = table === 'per-core';
  L.push(`| scenario | target | deliveries/s | ÷ plain 1 KB req/s | hubgate CPU µs / delivery | ÷ plain 1 KB CPU µs / req | upstream POSTs / delivery, whole run (checked) | hubgate CPU µs / upstream POST | upstream CPU µs / delivery | redis CPU µs / delivery | p99 ms | RSS peak MiB |${pinned ? ' paced by |' : ''}`);
  L.push(`|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|${pinned ? '---|' : ''}`);
  const notes = [];
  for (const name of evTargets) {
    const plain = runs.filter((r) => r.target === plainOf(name) && r.scenario === 'ka1k');
    const row = (label, rs, extra) => {
      const m = (k) => median(rs.map((r) => r[k]));
      const c = { cpu1BusyPct: m('cpu1BusyPct'), cpu1AllPct: m('cpu1AllPct'), cpu0AllPct: m('cpu0AllPct'), loadgenCpuPct: m('loadgenCpuPct'), otherCpuPct: m('otherCpuPct') };
      const failed = rs.reduce((n, r) => n + r.failed, 0);
      L.push(`| ${label} | ${extra.target} | ${fmt(m('rps'))}${failed ? ` ⚠ ${failed} failed` : ''} | ${extra.rps} | ${fmt(m('targetUsPerReq'))} | ${extra.cpu} | ${extra.posts} | ${extra.perPost} | ${fmt(m('upstreamUsPerReq'))} | ${fmt(m('storeUsPerReq'))} | ${fmt(m('p99'), 2)} | ${fmt(Math.max(0, ...rs.map((r) => r.peakRssMiB ?? 0)) || null)} |${pinned ? ` ${pacedBy(c, 'ka')} |` : ''}`);
    };
    if (plain.length) row('plain 1 KB forward (ka1k), dedupe off', plain, { target: plainOf(name), rps: '1.00×', cpu: '1.00×', posts: '1', perPost: fmt(median(plain.map((r) => r.targetUsPerReq))) });
    for (const s of EVENT_SCENARIOS) {
      const rs = runs.filter((r) => r.target === name && r.scenario === s);
      if (!rs.length) continue;
      const chk = checked(rs);
      if (!chk.ok) notes.push(`- ❌ ${table}, ${s}: ${chk.problems.join('; ')}`);
      const perPost = median(rs.map((r) => (r.accounting.upstreamPerDelivery ? r.targetUsPerReq / r.accounting.upstreamPerDelivery : null)));
      row(`${s}: ${SCENARIOS[s].label}`, rs, { target: name, rps: ratio(perRound(rs, plain, 'rps')), cpu: ratio(perRound(rs, plain, 'targetUsPerReq')), posts: chk.text, perPost: fmt(perPost) });
    }
  }
  return notes;
}

/** RSS of each events target over the run: its dedupe memory store keeps every event id. */
function memoryGrowth(result, L) {
  for (const mem of result.memory.filter((m) => m.events)) {
    const rs = result.runs.filter((r) => r.target === mem.target && r.table === mem.table).sort((a, b) => a.window[0] - b.window[0]);
    if (!rs.length) continue;
    const plain = result.memory.find((m) => m.table === mem.table && m.target === plainOf(mem.target));
    const plainPeak = Math.max(0, ...result.runs.filter((r) => r.table === mem.table && r.target === plainOf(mem.target)).map((r) => r.peakRssMiB ?? 0));
    if (plain) L.push(`- ${plain.target} (for comparison, no events apps): RSS at start ${fmt(plain.rssStartMiB)} MiB, idle after its warm-up run ${fmt(plain.rssIdleMiB)} MiB, peak over its runs ${fmt(plainPeak || null)} MiB.`);
    const remembered = rs.filter((r) => appOf(SCENARIOS[r.scenario]).store === 'memory').reduce((n, r) => n + r.accounting.eventsDelivered, 0);
    L.push(`- ${mem.target}: RSS at start ${fmt(mem.rssStartMiB)} MiB, idle after its warm-up run ${fmt(mem.rssIdleMiB)} MiB; peak per run, in order: ${rs.map((r) => `${r.scenario} r${r.round + 1} ${fmt(r.peakRssMiB)}`).join(', ')} MiB; V8 heap in use after each (\`hubgate_nodejs_heap_size_used_bytes\`, garbage not yet collected included): ${rs.map((r) => fmt(r.accounting.heapUsedMiB)).join(', ')} MiB. Event ids its memory stores took in these runs: ${fmt(remembered)} (plus the warm-up run's).`);
  }
}

/** One line per events scenario of table 1 for the headline, with a link to the section. */
export function eventsHeadline(result, L) {
  const runs = result.runs.filter((r) => r.table === 'per-core');
  const ev = runs.filter((r) => r.events);
  if (!ev.length) return;
  const plain = runs.filter((r) => r.target === plainOf(ev[0].target) && r.scenario === 'ka1k');
  L.push('### Meta events (issue 12)', '');
  L.push('hubgate only (nginx cannot route per event), per core, each ÷ hubgate\'s own plain 1 KB forward in the same round; details and the checks [below](#meta-events-routed-to-tenants-issue-12).', '');
  L.push('| scenario | deliveries/s | ÷ plain 1 KB | CPU µs / delivery | ÷ plain 1 KB | upstream POSTs / delivery (checked) |', '|---|---:|---:|---:|---:|---:|');
  for (const s of EVENT_SCENARIOS) {
    const rs = ev.filter((r) => r.scenario === s);
    if (!rs.length) continue;
    L.push(`| ${s}: ${SCENARIOS[s].label} | ${fmt(median(rs.map((r) => r.rps)))} | ${ratio(perRound(rs, plain, 'rps'))} | ${fmt(median(rs.map((r) => r.targetUsPerReq)))} | ${ratio(perRound(rs, plain, 'targetUsPerReq'))} | ${checked(rs).text} |`);
  }
  L.push('');
}

export function eventsSection(result, L) {
  const m = result.meta;
  if (!m.eventsApps) return;
  L.push('## Meta events routed to tenants (issue 12)', '');
  L.push(
    'What reading Meta events costs: the verified body parsed with byte offsets, each event routed by its `phone_number_id`, per-event dedupe (claim and commit per event id), per-tenant bodies built from raw slices and re-signed when rewritten. **hubgate only**: nginx and nginx + njs cannot route per event (no such configuration exists to compare with), so each scenario is set beside the plain 1 KB forward (`ka1k`, dedupe off) of the same table\'s hubgate, ratios per round. The events scenarios run against a second hubgate process with the same configuration plus the events apps, so the event-dedupe memory they build up never counts against the bars above; same pinning, runtime and load generator.',
    '',
    '- **ev1k**: 1,024-byte WhatsApp `messages` delivery (one event), tenants t00 and t01 alternating: each delivery goes to exactly one tenant, **with Meta\'s original bytes and signature** (1 upstream POST, not rewritten). 50 connections, closed loop.',
    `- **ev100**: ${fmt(result.meta.eventsBatchBytes)}-byte WhatsApp batch of 100 events (messages and \`delivered\` statuses alternating) for ten tenants' phone numbers, ten per tenant: each delivery becomes **10 upstream POSTs** of about ${fmt(median(result.runs.filter((r) => r.scenario === 'ev100').map((r) => r.accounting.upstreamBytesPerPost)))} bytes, rewritten (\`X-Hubgate-Rewritten: 1\`) and signed with the app secret; hubgate answers Meta 200 once all ten tenants did. 50 connections, closed loop. "CPU µs / upstream POST" = CPU per delivery ÷ POSTs per delivery.`,
    ...(m.eventsApps.some((a) => a.includes('redis')) ? ['- **ev1kr**, **ev100r**: the same with the Redis dedupe store (`--skip-events-redis` leaves them out): a redis-server of the run\'s own on loopback, without persistence, pinned with the target and the upstream in table 1; its CPU is its own column and counts in "paced by".'] : []),
    '- With `workers: auto` the memory store is per worker (each process remembers what it delivered; SPEC §8 — Redis is the store across processes); the ids here never repeat, so the work is the same.',
    '- Apps on that hubgate:',
    ...m.eventsApps.map((a) => `  - ${a}`),
    '- **Every request is new**: a repeated event id is answered 200 + `X-Hubgate-Duplicate` and forwarded to no one, so replaying one request would measure dedupe hits. The load generator builds each body from the scenario\'s template with a seed of its own written into every event id (8 characters: run, generator, counter in base 36), then signs it (HMAC-SHA256 and SHA-1 headers, as Meta sends); the templates are checked at start against building the bodies from scratch. No id repeats during a target\'s life.',
    '- **Checked, whole run** (warm-up and the final drain included; the generator stops sending at the end and waits for the requests in flight): upstream POSTs = deliveries × 1 or × 10; in ev100 every tenant path got exactly one POST per delivery, all rewritten; in ev1k none rewritten, 1,024 bytes each (Meta\'s), and the two tenants even; nothing reached the app\'s default upstream; no `X-Hubgate-Duplicate` answer; hubgate\'s `hubgate_events_total{outcome="delivered"}` rose by exactly the events sent, `duplicate` and `failed` not at all; the upstream re-verified 1 POST in 256 and found no bad HMAC. ✅ = all held in every round.',
    '',
  );
  const notes = [];
  for (const [table, title] of [['per-core', 'Per core (generators CPU 0; target, upstream and redis CPU 1)'], ['auto', 'workers: auto (unpinned)']]) {
    L.push(`### ${title}`, '');
    notes.push(...eventsTable(result, table, L));
    L.push('');
  }
  if (notes.length) L.push('Accounting failures:', '', ...notes, '');
  L.push('### Memory over the run', '');
  L.push('The memory dedupe store remembers every event id for `ttlSeconds` (7 days here), up to its `maxEntries` bound (default 1,000,000 per process, least recently used evicted): at 100 events per delivery it fills within 10,000 batches.', '');
  memoryGrowth(result, L);
  L.push('');
}
