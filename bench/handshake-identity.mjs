// CPU per mTLS handshake spent judging the client certificate (stages 2–3), before and after
// src/tls/identity.ts stopped calling getPeerCertificate(true). One server, one run: each round
// runs the same number of full handshakes (TLS 1.3, Meta-shaped chain: leaf + intermediate, EC)
// under three judges — none, the legacy walk over getPeerCertificate(true), and the current
// createIdentityChecker — in rotating order, and reports the server's CPU per handshake and the
// CPU time inside the judge alone (getrusage around the call). Clients run in a child process, so their CPU is not counted.
//
//   npm run build && node bench/handshake-identity.mjs [handshakes-per-round] [rounds]
import { fork } from 'node:child_process';
import { createServer, connect } from 'node:tls';
import { fileURLToPath } from 'node:url';

const PER_ROUND = Number(process.argv[2] ?? 1500);
const ROUNDS = Number(process.argv[3] ?? 5);
const CONCURRENCY = 8;

if (process.argv[2] === '--client') {
  // Child: open handshakes as told, report when done.
  process.on('message', async ({ port, ca, cert, key, count }) => {
    let next = 0;
    const one = () => new Promise((resolve) => {
      const s = connect({ port, host: '127.0.0.1', servername: 'localhost', ca, cert, key, minVersion: 'TLSv1.3', checkServerIdentity: () => undefined });
      s.on('secureConnect', () => s.end());
      s.on('error', () => undefined);
      s.on('close', resolve);
    });
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (next++ < count) await one(); }));
    process.send('done');
  });
} else {
  await main();
}

async function main() {
  const { createIdentityChecker } = await import('../dist/tls/identity.js');
  const { createRoot, createIntermediate, issue, bundle, EKU_SERVER_AUTH } = await import('../dist/tls/pki.js');
  const root = await createRoot('Bench Root');
  const intermediate = await createIntermediate('Bench Intermediate', root);
  const leaf = await issue({ subject: 'CN=client.webhooks.fbclientcerts.com', issuer: intermediate });
  const serverRoot = await createRoot('Bench Server Root');
  const server0 = await issue({ subject: 'CN=localhost', issuer: serverRoot, extKeyUsages: [EKU_SERVER_AUTH], dnsNames: ['localhost'] });
  const pki = {
    rootPem: root.certPem, serverPem: server0.certPem, serverKeyPem: server0.keyPem, serverCaPem: serverRoot.certPem,
    clientChainPem: bundle(leaf, intermediate), clientKeyPem: leaf.keyPem,
  };
  const policy = { commonNames: ['client.webhooks.fbclientcerts.com'], maxChainDepth: 3, trustAnchors: [{ pem: pki.rootPem }], crls: [], crlExpired: 'refuse' };

  // The judge as it was (main before this change): the legacy detailed object graph.
  const legacyCache = new Map();
  function legacy(socket) {
    const peer = socket.getPeerCertificate(true);
    if (!peer || !peer.raw) return null;
    if (!socket.authorized) return 'untrusted';
    let depth = 0;
    for (let c = peer; c.issuerCertificate && c.issuerCertificate !== c && depth <= 16; c = c.issuerCertificate) depth++;
    if (depth > 3) return 'too deep';
    const fp = peer.fingerprint256.replace(/:/g, '').toLowerCase();
    if (!legacyCache.has(fp)) legacyCache.set(fp, { fp, raw: peer.raw.length });
    return legacyCache.get(fp);
  }
  const current = createIdentityChecker(policy);
  const judges = { none: () => true, legacy, current };

  let judge = judges.none;
  let judgeUs = 0;
  let accepted = 0;
  const server = createServer({ cert: pki.serverPem, key: pki.serverKeyPem, ca: [pki.rootPem], requestCert: true, rejectUnauthorized: false }, () => undefined);
  server.on('secureConnection', (socket) => {
    const t = process.cpuUsage();
    const verdict = judge(socket);
    const d = process.cpuUsage(t);
    judgeUs += d.user + d.system;
    if (verdict && typeof verdict === 'object' && 'reason' in verdict) throw new Error(`refused: ${verdict.reason}`);
    accepted++;
    socket.end();
  });
  server.on('tlsClientError', () => undefined);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const client = fork(fileURLToPath(import.meta.url), ['--client'], { stdio: 'inherit' });
  const run = (count) => new Promise((resolve) => {
    client.once('message', resolve);
    client.send({ port: server.address().port, ca: pki.serverCaPem, cert: pki.clientChainPem, key: pki.clientKeyPem, count });
  });

  await run(300); // warm-up: JIT, session caches, allocator
  const results = { none: [], legacy: [], current: [] };
  const names = Object.keys(judges);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      judge = judges[name];
      judgeUs = 0;
      accepted = 0;
      const cpu = process.cpuUsage();
      await run(PER_ROUND);
      const used = process.cpuUsage(cpu);
      results[name].push({ cpuUs: (used.user + used.system) / accepted, judgeUs: judgeUs / accepted });
    }
  }
  client.kill();
  server.close();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`node ${process.version}, ${ROUNDS} rounds × ${PER_ROUND} TLS 1.3 handshakes per judge, server process only`);
  console.log('| judge | server CPU µs / handshake (median) | CPU µs inside the judge (median) |');
  console.log('|---|---:|---:|');
  for (const name of names) {
    console.log(`| ${name} | ${median(results[name].map((r) => r.cpuUs)).toFixed(0)} | ${median(results[name].map((r) => r.judgeUs)).toFixed(1)} |`);
  }
}
