// Allowlist lookups per second: PrefixSet (merged ranges + binary search) against a naive linear
// scan over ipaddr.js ranges and against node:net BlockList, on the same prefixes and addresses,
// in the same run. The check runs on every raw TCP connection, so its cost must not grow with the
// list (AS32934 announces a few hundred prefixes today; ~2,000 leaves a wide margin).
// Run: npm run build && node bench/allowlist-lookup.mjs [PREFIXES] [SECONDS]
// Method: a seeded generator builds PREFIXES prefixes (3/4 IPv4 /16–/24, 1/4 IPv6 /29–/48) and
// 10,000 source addresses (half inside a random prefix, half random; 3/4 IPv4); each contender
// answers the whole address list in a loop for SECONDS (default 1) after a warm-up pass, and
// all three must agree on every answer. Lookups parse the address text each time, as the
// gateway would from socket.remoteAddress.
import { BlockList } from 'node:net';
import ipaddr from 'ipaddr.js';
import { PrefixSet } from '../dist/allowlist/prefix-set.js';

const PREFIXES = Number(process.argv[2] ?? 2000);
const SECONDS = Number(process.argv[3] ?? 1);

// mulberry32: a small seeded PRNG, so every run measures the same data.
let seed = 0x32934;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(random() * n);
const hextets = () => Array.from({ length: 8 }, () => int(65536));

function randomPrefix() {
  if (random() < 0.75) {
    const len = 16 + int(9);
    const ip = ipaddr.IPv4.networkAddressFromCIDR(`${int(224)}.${int(256)}.${int(256)}.${int(256)}/${len}`);
    return `${ip}/${len}`;
  }
  const len = 29 + int(20);
  const ip = ipaddr.IPv6.networkAddressFromCIDR(`${new ipaddr.IPv6([0x2000 + int(0x1000), ...hextets().slice(1)])}/${len}`);
  return `${ip.toRFC5952String()}/${len}`;
}

function addressInside(cidr) {
  const [net, len] = ipaddr.parseCIDR(cidr);
  const bytes = net.toByteArray();
  for (let bit = len; bit < bytes.length * 8; bit++) if (random() < 0.5) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  const ip = ipaddr.fromByteArray(bytes);
  return ip.kind() === 'ipv6' ? ip.toRFC5952String() : ip.toString();
}

const cidrs = Array.from({ length: PREFIXES }, randomPrefix);
const queries = Array.from({ length: 10_000 }, () => {
  if (random() < 0.5) return addressInside(cidrs[int(cidrs.length)]);
  return random() < 0.75 ? `${int(224)}.${int(256)}.${int(256)}.${int(256)}` : new ipaddr.IPv6([0x2000 + int(0x1000), ...hextets().slice(1)]).toRFC5952String();
});

// The contenders.
let t0 = performance.now();
const set = PrefixSet.from(cidrs);
const buildMs = performance.now() - t0;

const ranges = cidrs.map((c) => ipaddr.parseCIDR(c));
function naiveHas(ip) {
  const addr = ipaddr.parse(ip);
  for (const [net, len] of ranges) if (net.kind() === addr.kind() && addr.match(net, len)) return true;
  return false;
}

const blockList = new BlockList();
for (const cidr of cidrs) {
  const [net, len] = cidr.split('/');
  blockList.addSubnet(net, Number(len), net.includes(':') ? 'ipv6' : 'ipv4');
}
const blockListHas = (ip) => blockList.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');

const contenders = [
  ['naive linear scan (ipaddr.js match)', naiveHas],
  ['node:net BlockList', blockListHas],
  ['PrefixSet (merged ranges, binary search)', (ip) => set.has(ip)],
];

// Agreement first: a fast wrong answer is worth nothing.
const expected = queries.map(naiveHas);
for (const [name, has] of contenders) {
  const wrong = queries.filter((ip, i) => has(ip) !== expected[i]);
  if (wrong.length > 0) throw new Error(`${name} disagrees with the linear scan on ${wrong.length} addresses, e.g. ${wrong[0]}`);
}

function measure(has, list = queries) {
  for (const ip of list) has(ip);
  let lookups = 0;
  let sink = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < list.length; i += 1) {
      if (has(list[i])) sink++;
      if ((++lookups & 1023) === 0 && (now = performance.now()) >= deadline) break;
    }
  }
  if (sink < 0) console.log(sink);
  return lookups / ((performance.now() - start) / 1000);
}

const hits = expected.filter(Boolean).length;
console.log(`${PREFIXES} prefixes (${set.v4Count} IPv4, ${set.v6Count} IPv6 → ${set.rangeCount} merged ranges, built in ${buildMs.toFixed(1)} ms)`);
console.log(`${queries.length} addresses, ${hits} inside; node ${process.version}; ${SECONDS}s per contender\n`);
const results = contenders.map(([name, has]) => [name, measure(has)]);
const base = results[0][1];
const width = 48;
console.log(`${'contender'.padEnd(width)}  ${'lookups/s'.padStart(12)}  ${'ns/lookup'.padStart(10)}  vs naive`);
for (const [name, rate] of results) {
  console.log(`${name.padEnd(width)}  ${Math.round(rate).toLocaleString('en').padStart(12)}  ${(1e9 / rate).toFixed(0).padStart(10)}  ×${(rate / base).toFixed(1)}`);
}
// Where PrefixSet's time goes, by kind of source address (IPv6 text is parsed by ipaddr.js).
const v4 = queries.filter((ip) => !ip.includes(':'));
const breakdown = [
  ['PrefixSet, IPv4 sources only', v4],
  ['PrefixSet, IPv4-mapped sources (::ffff:a.b.c.d)', v4.map((ip) => `::ffff:${ip}`)],
  ['PrefixSet, IPv6 sources only', queries.filter((ip) => ip.includes(':'))],
];
for (const [name, list] of breakdown) {
  const rate = measure((ip) => set.has(ip), list);
  console.log(`${name.padEnd(width)}  ${Math.round(rate).toLocaleString('en').padStart(12)}  ${(1e9 / rate).toFixed(0).padStart(10)}`);
}
