// Parse cost of one 1 KB Meta webhook POST (head + body) on a keep-alive connection: hubgate's
// codec against node's llhttp (the HTTPParser binding node:http itself uses, set up as
// node:http sets it up) and the two maintained pure-JS parsers, in the same run; and which of
// the hostile inputs of issue 10/14 each one refuses. The numbers go in
// docs/decisions/0002-http-codec.md.
// Run: npm run build && flock /tmp/hubgate-heavy.lock node bench/http-codec.mjs [ROUNDS] [ITERATIONS]
// Method: one parser per contender, reused for every request as on a keep-alive connection;
// ROUNDS (default 7) interleaved rounds of ITERATIONS (default 20,000) requests each after a
// warm-up; ns per request is the round's time over its requests, reported as the median (min–max)
// over rounds, and the ratio to hubgate's codec per round. Two feeds: the request in one buffer
// (one TLS record) and cut in three (inside the request line, inside a field, inside the body).
// Every contender must report the same method, target, field count and body length each time.
import { createRequire } from 'node:module';
import { RequestParser } from '../dist/http/codec/index.js';

const require = createRequire(import.meta.url);
const { HTTPParser: NodeParser } = require('_http_common');
const { HTTPParser: JsParser } = require('http-parser-js');
const BareParser = require('bare-http-parser');

const ROUNDS = Number(process.argv[2] ?? 7);
const ITERATIONS = Number(process.argv[3] ?? 20_000);

const BODY = JSON.stringify({
  object: 'whatsapp_business_account',
  entry: [{
    id: '102290129340398',
    changes: [{
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
        messages: [{ from: '16505551234', id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', timestamp: '1749416383', type: 'text', text: { body: 'Does it come in another color? I would like the blue one, size M, delivered by Friday. If not, the green one in size L would also do; what is the price with shipping to Lisbon, please, and when?' } }],
      },
      field: 'messages',
    }],
  }],
});
const HEAD =
  'POST /webhooks/whatsapp HTTP/1.1\r\n' +
  'Host: hooks.example.com\r\n' +
  'User-Agent: facebookexternalua\r\n' +
  'Accept: */*\r\n' +
  'Accept-Encoding: deflate, gzip\r\n' +
  'Content-Type: application/json\r\n' +
  'X-Hub-Signature: sha1=1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d\r\n' +
  'X-Hub-Signature-256: sha256=0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6\r\n' +
  `Content-Length: ${Buffer.byteLength(BODY)}\r\n\r\n`;
const REQUEST = Buffer.from(HEAD + BODY, 'latin1');
const CUTS = [20, HEAD.indexOf('X-Hub-Signature-256') + 30, HEAD.length + 300];
const PIECES = [REQUEST.subarray(0, CUTS[0]), REQUEST.subarray(CUTS[0], CUTS[1]), REQUEST.subarray(CUTS[1], CUTS[2]), REQUEST.subarray(CUTS[2])];

/** Each contender: feed(buffers) parses one request; result() says what it saw, to check. */
function hubgate() {
  const seen = { method: '', target: '', fields: 0, body: 0, done: 0 };
  const parser = new RequestParser({
    onHead(h) { seen.method = h.method; seen.target = h.target; seen.fields = h.headers.length / 2; seen.body = 0; },
    onBody(b) { seen.body += b.length; },
    onComplete() { seen.done++; },
    onError(e) { throw new Error(`hubgate: ${e}`); },
  });
  return { name: "hubgate's codec", feed: (bufs) => { for (const b of bufs) parser.execute(b); }, seen };
}

function llhttp() {
  const seen = { method: '', target: '', fields: 0, body: 0, done: 0 };
  const parser = new NodeParser();
  parser.initialize(NodeParser.REQUEST, {}, 16 * 1024, NodeParser.kLenientNone);
  parser[NodeParser.kOnHeaders] = () => {};
  parser[NodeParser.kOnHeadersComplete] = (_maj, _min, headers, method, url) => {
    seen.method = method === 3 ? 'POST' : String(method); seen.target = url; seen.fields = headers.length / 2; seen.body = 0;
    return 0;
  };
  parser[NodeParser.kOnBody] = (b) => { seen.body += b.length; };
  parser[NodeParser.kOnMessageComplete] = () => { seen.done++; };
  return { name: `node llhttp ${process.versions.llhttp} (binding)`, feed: (bufs) => { for (const b of bufs) { const r = parser.execute(b); if (typeof r !== 'number') throw r; } }, seen };
}

function httpParserJs() {
  const seen = { method: '', target: '', fields: 0, body: 0, done: 0 };
  const parser = new JsParser(JsParser.REQUEST);
  // http-parser-js passes one info object (node 0.12's signature) or node's argument list.
  parser[JsParser.kOnHeadersComplete] = (info, _min, headers, method, url) => {
    if (typeof info === 'object') ({ headers, method, url } = info);
    seen.method = JsParser.methods[method]; seen.target = url; seen.fields = headers.length / 2; seen.body = 0;
    return 0;
  };
  parser[JsParser.kOnBody] = (b, start, len) => { seen.body += len; };
  parser[JsParser.kOnMessageComplete] = () => { seen.done++; };
  return { name: 'http-parser-js 0.5.10', feed: (bufs) => { for (const b of bufs) { const r = parser.execute(b); if (typeof r !== 'number') throw r; } }, seen };
}

function bare() {
  const seen = { method: '', target: '', fields: 0, body: 0, done: 0 };
  const parser = new BareParser();
  const feed = (bufs) => {
    for (const b of bufs) {
      for (const ev of parser.push(b)) {
        if (ev.type === 1) { seen.method = ev.method; seen.target = ev.url; seen.fields = Object.keys(ev.headers).length; seen.body = 0; }
        else if (ev.type === 3) seen.body += ev.data.length;
        else if (ev.type === 4) seen.done++;
      }
    }
  };
  return { name: 'bare-http-parser 2.1.4', feed, seen };
}

const contenders = [hubgate(), llhttp(), httpParserJs(), bare()];

function check(c) {
  const s = c.seen;
  // bare-http-parser folds fields into an object (8 names here); the others keep all 8 lines.
  if (s.method !== 'POST' || s.target !== '/webhooks/whatsapp' || s.fields !== 8 || s.body !== Buffer.byteLength(BODY)) {
    throw new Error(`${c.name} parsed ${JSON.stringify(s)}`);
  }
}

function time(c, bufs) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) c.feed(bufs);
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `${Math.round(median(xs)).toLocaleString('en')} (${Math.round(Math.min(...xs)).toLocaleString('en')}–${Math.round(Math.max(...xs)).toLocaleString('en')})`;

console.log(`# HTTP/1.1 request parse cost, 1 KB Meta POST (${REQUEST.length} bytes: head ${HEAD.length}, body ${REQUEST.length - HEAD.length})`);
console.log(`node ${process.version}, ${ROUNDS} rounds x ${ITERATIONS.toLocaleString('en')} requests, ${new Date().toISOString()}\n`);
for (const [feed, bufs] of [['one buffer', [REQUEST]], ['three cuts', PIECES]]) {
  for (const c of contenders) { c.feed(bufs); check(c); for (let i = 0; i < 2_000; i++) c.feed(bufs); }
  const ns = contenders.map(() => []);
  for (let r = 0; r < ROUNDS; r++) contenders.forEach((c, i) => ns[i].push(time(c, bufs)));
  contenders.forEach(check);
  console.log(`## ${feed}\n\n| parser | ns per request, median (min–max) | ÷ hubgate's codec, median of per-round ratios |\n|---|---:|---:|`);
  contenders.forEach((c, i) => {
    const ratios = ns[i].map((v, r) => v / ns[0][r]);
    console.log(`| ${c.name} | ${fmt(ns[i])} | ${median(ratios).toFixed(2)}× |`);
  });
  console.log('');
}

// Which hostile inputs each parser refuses (a fresh parser each; "refused" = an error before or
// at the end of input, or the smuggled second request never reported).
const HOSTILE = [
  ['CL and TE both', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['two equal Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx'],
  ['Content-Length "1, 1"', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx'],
  ['Transfer-Encoding "gzip, chunked" (request)', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'],
  ['Transfer-Encoding "chunked, identity"', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n'],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n'],
  ['space before colon', 'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n'],
  ['bare LF line ends', 'GET / HTTP/1.1\nHost: a\n\n'],
  ['bare CR in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n'],
  ['NUL in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\u0000b\r\n\r\n'],
  ['HTTP/0.9 request line', 'GET /\r\n\r\n'],
  ['two SP in the request line', 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['chunk size with junk', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 x\r\na\r\n0\r\n\r\n'],
  ['chunk extension ";a=" (empty value)', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\r\na\r\n0\r\n\r\n'],
  ['Content-Length in a trailer', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 5\r\n\r\n'],
  ['chunked in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
];

function refuses(make, input) {
  try {
    return make(Buffer.from(input, 'latin1'));
  } catch {
    return true;
  }
}
const verdicts = {
  "hubgate's codec": (buf) => {
    let err = false; let done = 0;
    const p = new RequestParser({ onHead() {}, onBody() {}, onComplete() { done++; }, onError() { err = true; } });
    p.execute(buf); p.finish();
    return err || done === 0;
  },
  [`node llhttp ${process.versions.llhttp}`]: (buf) => {
    const p = new NodeParser(); let done = 0;
    p.initialize(NodeParser.REQUEST, {}, 16 * 1024, NodeParser.kLenientNone);
    p[NodeParser.kOnHeadersComplete] = () => 0; p[NodeParser.kOnMessageComplete] = () => { done++; };
    p[NodeParser.kOnBody] = () => {}; p[NodeParser.kOnHeaders] = () => {};
    const r = p.execute(buf); const f = typeof r === 'number' ? p.finish() : r;
    return typeof r !== 'number' || f !== undefined || done === 0;
  },
  'http-parser-js': (buf) => {
    const p = new JsParser(JsParser.REQUEST); let done = 0;
    p[JsParser.kOnHeadersComplete] = () => 0; p[JsParser.kOnMessageComplete] = () => { done++; }; p[JsParser.kOnBody] = () => {};
    const r = p.execute(buf); const f = typeof r === 'number' ? p.finish() : r;
    return typeof r !== 'number' || f !== undefined || done === 0;
  },
  'bare-http-parser': (buf) => {
    const p = new BareParser(); let done = 0;
    for (const ev of p.push(buf)) if (ev.type === 4) done++;
    [...p.end()];
    return done === 0;
  },
};
console.log('## Hostile requests refused (✔ refused, ✘ accepted)\n');
console.log(`| input | ${Object.keys(verdicts).join(' | ')} |\n|---|${Object.keys(verdicts).map(() => ':-:').join('|')}|`);
for (const [what, input] of HOSTILE) {
  console.log(`| ${what} | ${Object.values(verdicts).map((v) => (refuses(v, input) ? '✔' : '✘')).join(' | ')} |`);
}
