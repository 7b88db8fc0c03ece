// A fake RADb for stage 1 (SPEC §6): hubgate's allowlist is enabled in the benchmark and fetches
// `-i origin AS32934` over whois (RFC 3912) from this server, on loopback, at start-up — as in
// production, with a cacheFile written after the fetch. The answer is RPSL with a sample of the
// prefixes AS32934 announces (24, IPv4 and IPv6) plus 127.0.0.0/8, so the load generator (on 127.0.0.1) is admitted and
// every connection pays for the real lookup. Runs inside the harness process (idle after start-up)
// and closes with it.
import net from 'node:net';

const PREFIXES = [
  '31.13.24.0/21', '31.13.64.0/18', '45.64.40.0/22', '57.144.0.0/14', '66.220.144.0/20', '69.63.176.0/20',
  '69.171.224.0/19', '74.119.76.0/22', '102.132.96.0/20', '103.4.96.0/22', '129.134.0.0/17',
  '147.75.208.0/20', '157.240.0.0/17', '163.70.128.0/17', '173.252.64.0/18', '179.60.192.0/22',
  '185.60.216.0/22', '185.89.216.0/22', '204.15.20.0/22',
  '2620:0:1c00::/40', '2a03:2880::/32', '2a03:2880:f000::/36', '2401:db00::/32', '2c0f:ef78::/32',
];
const LOOPBACK = '127.0.0.0/8';

function routeObject(prefix, descr) {
  const attr = prefix.includes(':') ? 'route6:' : 'route: ';
  return `${attr}         ${prefix}\ndescr:          ${descr}\norigin:         AS32934\nmnt-by:         MAINT-AS32934\nsource:         RADB\n`;
}

export const ANSWER = [
  '% This is a fake RADb whois server (hubgate bench).',
  '',
  ...PREFIXES.map((p) => routeObject(p, 'Facebook, Inc.')),
  routeObject(LOOPBACK, 'hubgate bench: loopback, so the load generator is admitted'),
].join('\n');

/** Number of prefixes the answer holds (what hubgate_allowlist_prefixes must show). */
export const PREFIX_COUNT = PREFIXES.length + 1;

/** @returns {Promise<{ port: number, queries: string[], close(): Promise<void> }>} */
export function startFakeWhois() {
  const sockets = new Set();
  const queries = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let line = '';
    socket.on('data', (chunk) => {
      line += chunk.toString('latin1');
      const end = line.indexOf('\r\n');
      if (end === -1) return;
      queries.push(line.slice(0, end));
      socket.end(ANSWER);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        queries,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
