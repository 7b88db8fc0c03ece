// results.svg, written by hand (no dependencies). Per table: one group per scenario, one bar per
// proxy (nginx + njs, each hubgate) = median per-round ratio to nginx (the dashed 1.0 line), with
// issue 10's 0.8× bar as a red tick where it applies — hubgate's bar must also reach the njs bar
// beside it (≥ 1.0× nginx + njs). Then p50/p99 at the load below saturation, log scale.
import { ROWS, fmt, median, paired, view } from './report-data.mjs';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const COLORS = { njs: '#8c8c8c', hubgate: ['#1f77b4', '#ff7f0e', '#2ca02c'] };

function ratioPanel(result, table, title, x0, y0, w, h) {
  const v = view(result, table);
  const bars = v.names.filter((n) => v.kindOf(n) === 'njs' || v.kindOf(n) === 'hubgate');
  const color = (n) => (v.kindOf(n) === 'njs' ? COLORS.njs : COLORS.hubgate[v.hubgates.indexOf(n) % COLORS.hubgate.length]);
  const groups = ROWS.filter((r) => v.names.some((n) => v.cell(n, r.s)));
  const maxV = 1.5;
  const out = [`<text x="${x0}" y="${y0 - 14}" font-size="15" font-weight="bold">${esc(title)}</text>`];
  const plotH = h - 60;
  const yOf = (x) => y0 + plotH - (Math.min(x, maxV) / maxV) * plotH;
  for (const t of [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5]) {
    out.push(`<line x1="${x0 + 40}" x2="${x0 + w}" y1="${yOf(t)}" y2="${yOf(t)}" stroke="${t === 1 ? '#000' : '#ddd'}" stroke-width="${t === 1 ? 1.5 : 1}"${t === 1 ? ' stroke-dasharray="6 3"' : ''}/>`);
    out.push(`<text x="${x0 + 34}" y="${yOf(t) + 4}" font-size="11" text-anchor="end">${t.toFixed(2)}×</text>`);
  }
  out.push(`<text x="${x0 + w}" y="${yOf(1) - 4}" font-size="11" text-anchor="end">nginx = 1.0</text>`);
  const gw = (w - 50) / Math.max(1, groups.length);
  groups.forEach((g, gi) => {
    const gx = x0 + 50 + gi * gw;
    const bw = Math.min(34, (gw - 16) / Math.max(1, bars.length));
    bars.forEach((n, i) => {
      const m = median(paired(result, table, g.s, n, 'nginx', g.metric));
      if (m === null) return;
      const bx = gx + 8 + i * bw;
      out.push(`<rect x="${bx}" y="${yOf(m)}" width="${bw - 3}" height="${yOf(0) - yOf(m)}" fill="${color(n)}"/>`);
      out.push(`<text x="${bx + (bw - 3) / 2}" y="${yOf(m) - 4}" font-size="10" text-anchor="middle">${m.toFixed(2)}</text>`);
    });
    if (g.vsNginx && table === 'per-core') {
      const tx2 = gx + 12 + bars.length * bw;
      out.push(`<line x1="${gx + 4}" x2="${tx2}" y1="${yOf(g.vsNginx)}" y2="${yOf(g.vsNginx)}" stroke="#d62728" stroke-width="2"/>`);
      out.push(`<text x="${tx2 + 2}" y="${yOf(g.vsNginx) + 4}" font-size="10" fill="#d62728">${g.vsNginx}</text>`);
    }
    out.push(`<text x="${gx + gw / 2 - 6}" y="${y0 + plotH + 16}" font-size="11" text-anchor="middle">${esc(g.what.replace(/ req\/s| handshakes\/s/, ''))}</text>`);
    const nc = v.cell(v.of('nginx'), g.s);
    if (nc) out.push(`<text x="${gx + gw / 2 - 6}" y="${y0 + plotH + 30}" font-size="10" fill="#555" text-anchor="middle">nginx ${g.metric === 'mbps' ? `${fmt(nc.mbps)} MB/s` : `${fmt(nc.rps)}/s`}</text>`);
  });
  bars.forEach((n, i) => {
    out.push(`<rect x="${x0 + 50 + i * 240}" y="${y0 + h - 14}" width="12" height="12" fill="${color(n)}"/>`);
    out.push(`<text x="${x0 + 66 + i * 240}" y="${y0 + h - 4}" font-size="12">${esc(n)} ÷ nginx</text>`);
  });
  return out.join('\n');
}

function latencyPanel(result, table, title, x0, y0, w) {
  const v = view(result, table);
  const names = v.names.filter((n) => v.cell(n, 'lat1k'));
  const out = [`<text x="${x0}" y="${y0 - 14}" font-size="15" font-weight="bold">${esc(title)}</text>`];
  if (!names.length) return { svg: out.join('\n'), height: 0 };
  const lo = 0.1;
  const hi = 1000;
  const lx = x0 + 250;
  const span = w - 250 - 230;
  const xOf = (x) => lx + (Math.log10(Math.max(lo, Math.min(hi, x)) / lo) / Math.log10(hi / lo)) * span;
  for (const t of [0.1, 1, 10, 100, 1000]) {
    out.push(`<line x1="${xOf(t)}" x2="${xOf(t)}" y1="${y0 - 4}" y2="${y0 + 24 + names.length * 24}" stroke="#eee"/>`);
    out.push(`<text x="${xOf(t)}" y="${y0 - 2}" font-size="10" fill="#777" text-anchor="middle">${t >= 1000 ? `${t / 1000} s` : `${t} ms`}</text>`);
  }
  let y = y0 + 16;
  const rate = v.cell(names[0], 'lat1k').rate;
  out.push(`<text x="${x0}" y="${y}" font-size="12" font-style="italic">${esc(`1 KB at ${fmt(rate)} req/s (½ the slowest proxy's peak), log scale — dark: p50, light: p99`)}</text>`);
  y += 8;
  for (const n of names) {
    const c = v.cell(n, 'lat1k');
    const saturated = c.rate && c.rps < 0.95 * c.rate;
    out.push(`<text x="${lx - 6}" y="${y + 14}" font-size="12" text-anchor="end">${esc(n)}</text>`);
    out.push(`<rect x="${lx}" y="${y + 2}" width="${xOf(c.p99) - lx}" height="16" fill="${saturated ? '#fcbba1' : '#c6dbef'}"/>`);
    out.push(`<rect x="${lx}" y="${y + 6}" width="${xOf(c.p50) - lx}" height="8" fill="${saturated ? '#cb181d' : '#08519c'}"/>`);
    out.push(`<text x="${xOf(c.p99) + 4}" y="${y + 14}" font-size="11">p50 ${fmt(c.p50, 2)} / p99 ${fmt(c.p99, 2)} ms${saturated ? ' (saturated)' : ''}</text>`);
    y += 24;
  }
  return { svg: out.join('\n'), height: y - y0 };
}

export function renderSvg(result) {
  const { meta } = result;
  const W = 1100;
  const parts = [];
  let y = 60;
  const tables = [
    ['per-core', 'Per core (generators CPU 0, target + upstream CPU 1): ratio to nginx (Meta\'s recipe)'],
    ['auto', 'workers: auto vs worker_processes auto, unpinned: ratio to nginx'],
  ];
  for (const [t, title] of tables) {
    if (!result.runs.some((r) => r.table === t)) continue;
    parts.push(ratioPanel(result, t, title, 20, y, W - 40, 300));
    y += 350;
    const lat = latencyPanel(result, t, `1 KB keep-alive latency below saturation — ${t === 'per-core' ? 'per core' : 'auto, unpinned'}`, 20, y + 10, W - 40);
    parts.push(lat.svg);
    y += lat.height + 60;
  }
  const head = `<text x="20" y="28" font-size="18" font-weight="bold">${esc(`hubgate vs nginx (Meta's recipe) and nginx + njs (same HMAC job) — ${meta.date.slice(0, 10)}, ${meta.machine.model}, ${meta.machine.nproc} CPUs, Node ${meta.hubgateNode}`)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" viewBox="0 0 ${W} ${y + 10}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${head}
${parts.join('\n')}
</svg>
`;
}
