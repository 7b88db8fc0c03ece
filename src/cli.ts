// `hubgate serve | check | probe | allowlist | dev-pki | sign` (SPEC.md §4; probe is ours). The CLI and the config
// format are the product's public surface; everything behind them may change.
// Each command is loaded when it runs: `serve` must not carry the PKI factory, the probe or
// the whois client in its memory (issue 10 §4: nothing loaded that the process does not use).

const USAGE = `usage: hubgate <command> [options]

  serve     [--config FILE]        run the gateway (default FILE: config/gateway.yaml)
  check     [--config FILE]        validate everything serve would load and print a summary
  probe     URL [--verify-token T] [--ca FILE]... [--client-cert FILE --client-key FILE]
            [--secret-env VAR] [--meta-ca FILE] [--timeout MS] [--json]
                                   check a running endpoint from outside, as Meta will (exit 1 on a ✗)
  allowlist [--asn AS32934] [--whois HOST[:PORT]] [--maintainer NAME]...
                                   fetch Meta's prefixes over whois and print them
  dev-pki   [--out DIR] [--key ec|rsa]
                                   write a throwaway test PKI (root, intermediate, client, server)
  sign      --secret-env VAR [FILE]
                                   print the X-Hub-Signature-256 value for FILE (or stdin)
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  let code: number;
  switch (command) {
    case 'serve': {
      const { runServe } = await import('./cli/serve.js');
      code = await runServe(rest);
      break;
    }
    case 'check': {
      const { runCheck } = await import('./cli/check.js');
      code = await runCheck(rest);
      break;
    }
    case 'probe': {
      const { runProbe } = await import('./cli/probe.js');
      code = await runProbe(rest);
      break;
    }
    case 'allowlist': {
      const { runAllowlistCommand } = await import('./cli/allowlist.js');
      code = await runAllowlistCommand(rest);
      break;
    }
    case 'dev-pki': {
      const { runDevPki } = await import('./cli/dev-pki.js');
      code = await runDevPki(rest);
      break;
    }
    case 'sign': {
      const { runSign } = await import('./cli/sign.js');
      code = await runSign(rest);
      break;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      code = command === undefined ? 1 : 0;
      break;
    default:
      process.stderr.write(`hubgate: unknown command "${command}"\n\n${USAGE}`);
      code = 1;
  }
  if (code !== -1) process.exitCode = code;
}
