// Reference points for the profile (`npm run bench -- --profile`), not products: the least a Node
// process can do for the same request, so hubgate's own cost can be told apart from the platform's.
//   respond      node:https with the same mTLS options as hubgate, answers 200 itself (no upstream)
//   undici       … forwards the body to the upstream with an undici Agent, as hubgate's forwarder
//                does (no checks, no log, no metrics)
// Usage: node bare-proxy.mjs MODE PORT UPSTREAM_PORT PKI_DIR
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';

const [mode, port, upstreamPort, pki] = process.argv.slice(2);
if (mode !== 'respond' && mode !== 'undici') throw new Error(`bare-proxy: unknown mode ${mode}`);
const origin = `http://127.0.0.1:${upstreamPort}`;
const agent = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
const REPLY = Buffer.from('{"ok":true}');

const server = createServer(
  { cert: readFileSync(`${pki}/server.crt`), key: readFileSync(`${pki}/server.key`), ca: readFileSync(`${pki}/root.crt`), requestCert: true, rejectUnauthorized: false, keepAliveTimeout: 65_000 },
  (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      if (mode === 'respond') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': REPLY.length });
        return void res.end(REPLY);
      }
      const headers = { ...req.headers, 'content-length': String(body.length) };
      delete headers.connection;
      agent.stream({ origin, path: '/hook', method: 'POST', headers, body }, ({ statusCode, headers: h }) => {
        delete h.connection;
        delete h['keep-alive'];
        res.writeHead(statusCode, h);
        return res;
      }, () => undefined);
    });
  },
);
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void agent.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
