// The built-in demo app for `npm start`: a plaintext HTTP server that logs what it receives,
// standing where a real webhook app would (SPEC.md §4).
import { createServer, type Server } from 'node:http';
import type { Logger } from '../log.js';

export function startDemoUpstream(url: string, log: Logger): Promise<Server> {
  const { hostname, port } = new URL(url);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      log.info(
        {
          demoUpstream: true,
          method: req.method,
          url: req.url,
          app: req.headers['x-hubgate-app'],
          clientCertSha256: req.headers['x-hubgate-client-cert-sha256'],
          forwardedFor: req.headers['x-forwarded-for'],
          bytes: body.length,
          preview: body.subarray(0, 200).toString('utf8'),
        },
        'demo upstream received a request',
      );
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('EVENT_RECEIVED\n');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(port), hostname, () => resolve(server));
  });
}
