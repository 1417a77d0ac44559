/** `tether node …`: this machine as a node — run the agent, set its exec policy, show or reset its identity. */
import { Command } from 'commander';
import { identityExists, loadOrCreateIdentity, resetIdentity } from '@tether/pairing';
import { action } from '../command-kit.js';
import { printJson, usageError } from '../output.js';
import { registerExecPolicyCommands } from './node-exec-policy.js';

const STATE_DIR_HELP = 'node state directory (default: TETHER_NODE_STATE_DIR or ~/.tether/node)';

async function nodeAgent() {
  return import('@tether/node-agent');
}

export function nodeCommand(): Command {
  const node = new Command('node').description('this machine as a node');

  node
    .command('run')
    .description('connect this machine to a gateway and serve its commands')
    .option('--url <url>', 'gateway URL (default: TETHER_GATEWAY_URL or ws://127.0.0.1:18789)')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--display-name <name>', 'how this node appears in `tether nodes list`')
    .action(
      action(async (flags) => {
        const { runNodeUntilSignal, UsageError } = await nodeAgent();
        try {
          return await runNodeUntilSignal({ url: flags.url, stateDir: flags.stateDir, displayName: flags.displayName as string | undefined });
        } catch (error) {
          throw error instanceof UsageError ? usageError(error.message) : error;
        }
      }),
    );

  registerExecPolicyCommands(node, STATE_DIR_HELP);

  node
    .command('doctor')
    .description('which command families this node can offer, and how to fix the missing ones')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (flags) => {
        const { detectCapabilities, doctorReport, formatDoctorReport, resolveNodeStateDir } = await nodeAgent();
        const report = await doctorReport(await detectCapabilities({ stateDir: resolveNodeStateDir(flags.stateDir) }));
        if (flags.json) return printJson(report);
        process.stdout.write(`${formatDoctorReport(report)}\n`);
      }),
    );

  node
    .command('identity')
    .description("show this node's device id and public key")
    .option('--reset', 'delete the key pair and create a new one (the node must be paired again)')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (flags) => {
        const { identityDir, resolveNodeStateDir } = await nodeAgent();
        const dir = identityDir(resolveNodeStateDir(flags.stateDir));
        const existed = identityExists(dir);
        const options = { dir, resetHint: 'tether node identity --reset' };
        const identity = flags.reset ? resetIdentity(options) : loadOrCreateIdentity(options);
        if (flags.json) return printJson({ deviceId: identity.deviceId, publicKey: identity.publicKey });
        if (flags.reset) process.stdout.write('Created a new identity; approve this node again on the gateway.\n');
        else if (!existed) process.stdout.write('Created a new identity.\n');
        process.stdout.write(`deviceId:  ${identity.deviceId}\npublicKey: ${identity.publicKey}\nfiles:     ${dir}\n`);
      }),
    );
  return node;
}
