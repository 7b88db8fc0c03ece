// `npm start`: the development profile. Generates a throwaway PKI on first run (git-ignored,
// under var/), starts the demo upstream, serves config/gateway.yaml, and prints a curl command
// that sends a correctly signed request through every stage of the pipeline.
import { existsSync, writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { createDevPki, DEV_PKI_FILES } from '../tls/dev-pki.js';
import { loadConfig, DEFAULT_CONFIG_FILE } from '../config/load.js';
import { createLogger } from '../log.js';
import { serveConfig } from '../cli/serve.js';
import { startDemoUpstream } from './demo-upstream.js';

const PKI_DIR = resolve('var/dev-pki');
const SAMPLE = JSON.stringify({
  object: 'whatsapp_business_account',
  entry: [{ id: '0', changes: [{ field: 'messages', value: { messages: [{ from: '15550001111', text: { body: 'caf\u00e9' } }] } }] }],
}).replace('é', '\\u00e9'); // Meta escapes non-ASCII: the signature covers these exact bytes

async function main(): Promise<void> {
  if (!existsSync(join(PKI_DIR, DEV_PKI_FILES.serverKey))) {
    await createDevPki(PKI_DIR);
    process.stdout.write(`hubgate: generated a throwaway dev PKI in ${relative(process.cwd(), PKI_DIR)}/\n`);
  }
  const config = loadConfig(process.argv[2] ?? DEFAULT_CONFIG_FILE);
  const log = createLogger(config.log.level);
  const app = config.apps[0]!;
  await startDemoUpstream(app.upstreamOrigin, log);
  await serveConfig(config, log);
  const sampleFile = join(PKI_DIR, 'sample-event.json');
  writeFileSync(sampleFile, SAMPLE);
  const signature = 'sha256=' + createHmac('sha256', app.secrets[0]!).update(SAMPLE).digest('hex');
  const rel = (f: string) => relative(process.cwd(), join(PKI_DIR, f));
  const url = `https://localhost:${config.listen.port}${app.path || '/'}`;
  process.stdout.write(
    [
      '',
      `hubgate dev profile: ${url} → ${app.upstream} (demo upstream), admin http://${config.admin.host}:${config.admin.port}/metrics`,
      'Send a signed delivery through the whole pipeline (certificate, CN, route, signature, forward):',
      '',
      `  curl --cacert ${rel(DEV_PKI_FILES.root)} --cert ${rel(DEV_PKI_FILES.clientChain)} --key ${rel(DEV_PKI_FILES.clientKey)} \\`,
      `    -H 'Content-Type: application/json' -H 'X-Hub-Signature-256: ${signature}' \\`,
      `    --data-binary @${rel('sample-event.json')} ${url}`,
      '',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`hubgate: ${err.message}\n`);
  process.exit(1);
});
