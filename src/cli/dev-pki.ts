// `hubgate dev-pki --out DIR`: a throwaway PKI for trying hubgate locally. Never for production.
import { resolve } from 'node:path';
import { createDevPki } from '../tls/dev-pki.js';
import { parse, guarded, UsageError } from './args.js';

export function runDevPki(argv: string[]): Promise<number> {
  return guarded(async () => {
    const { values } = parse(argv, { out: { type: 'string', default: 'var/dev-pki' }, key: { type: 'string', default: 'ec' } });
    if (values.key !== 'ec' && values.key !== 'rsa') throw new UsageError('dev-pki: --key must be ec or rsa');
    const paths = await createDevPki(resolve(values.out!), values.key);
    process.stdout.write(
      [
        `wrote a throwaway test PKI to ${values.out} (not for production):`,
        `  ${paths.root}          root CA: use as clientAuth.trustAnchors, and as curl --cacert`,
        `  ${paths.intermediate}  intermediate CA`,
        `  ${paths.clientChain}        client leaf (CN client.webhooks.fbclientcerts.com) + intermediate, as Meta sends it`,
        `  ${paths.clientKey}        client key`,
        `  ${paths.serverCert} / server.key   localhost server certificate (+ intermediate) and key`,
        '',
      ].join('\n'),
    );
    return 0;
  });
}
