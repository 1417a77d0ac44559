/** `tether-node`: the node-agent as its own binary (same code as `tether node run`). */
import { parseArgs } from 'node:util';
import { runNodeUntilSignal, UsageError } from './run.js';

const USAGE = `usage: tether-node [--url wss://HOST:PORT | --pair CODE | --pair-file FILE] [--state-dir DIR]
                   [--display-name NAME] [--trust-fingerprint SHA256] [--insecure]

Connects this machine to a Tether gateway as a node and serves its commands.
With a setup code (tether devices setup-code, on the gateway host) it pairs at once.
Otherwise on first start it prints a request id; approve it on the gateway host with
  tether devices approve <requestId>
Without --url or a code it uses a gateway on this machine, else the one found on the LAN (mDNS).`;

export async function runNodeAgentCli(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        'state-dir': { type: 'string' },
        'display-name': { type: 'string' },
        'trust-fingerprint': { type: 'string' },
        insecure: { type: 'boolean' },
        pair: { type: 'string' },
        'pair-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`tether-node: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    return await runNodeUntilSignal({
      url: values.url,
      stateDir: values['state-dir'],
      displayName: values['display-name'],
      trustFingerprint: values['trust-fingerprint'],
      insecure: values.insecure === true,
      pair: values.pair,
      pairFile: values['pair-file'],
    });
  } catch (error) {
    process.stderr.write(`tether-node: ${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
