/** `tether node …`: this machine as a node — run the agent, set its exec policy, show or reset its identity. */
import { Command } from 'commander';
import { identityExists, loadOrCreateIdentity, resetIdentity } from '@tether/pairing';
import { action } from '../command-kit.js';
import { printJson, usageError } from '../output.js';
import { registerExecPolicyCommands } from './node-exec-policy.js';
import { registerServiceCommands } from './service-commands.js';

const STATE_DIR_HELP = 'node state directory (default: TETHER_NODE_STATE_DIR or ~/.tether/node)';

async function nodeAgent() {
  return import('@tether/node-agent');
}

export function nodeCommand(): Command {
  const node = new Command('node').description('this machine as a node');

  node
    .command('run')
    .description('connect this machine to a gateway and serve its commands')
    .option('--url <url>', 'gateway URL (default: TETHER_GATEWAY_URL, else a gateway on this machine, else the one found on the LAN over mDNS)')
    .option('--pair <code>', 'a setup code from `tether devices setup-code`: pairs at once, pinning the gateway it names')
    .option('--pair-file <file>', 'read the setup code from this file (0600), then delete it: keeps it out of shell history')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--display-name <name>', 'how this node appears in `tether nodes list`')
    .option('--trust-fingerprint <sha256>', "pin the gateway's TLS certificate (SHA-256, as the gateway prints it at start) on the first connection")
    .option('--insecure', 'allow plaintext ws:// to an address beyond loopback (anyone on the network can read and change it)')
    .action(
      action(async (flags) => {
        const { runNodeUntilSignal, UsageError } = await nodeAgent();
        try {
          return await runNodeUntilSignal({
            url: flags.url,
            stateDir: flags.stateDir,
            displayName: flags.displayName as string | undefined,
            insecure: flags.insecure === true,
            trustFingerprint: flags.trustFingerprint as string | undefined,
            pair: flags.pair as string | undefined,
            pairFile: flags.pairFile as string | undefined,
          });
        } catch (error) {
          throw error instanceof UsageError ? usageError(error.message) : error;
        }
      }),
    );

  registerExecPolicyCommands(node, STATE_DIR_HELP);
  registerServiceCommands(node, 'node', async () => (await import('@tether/node-agent')).resolveNodeStateDir(undefined));

  node
    .command('trust')
    .description('the gateway certificates this node has pinned (wss://)')
    .option('--reset', 'forget the pin (for --url, or every pin) so the next connection asks again')
    .option('--url <url>', 'the gateway whose pin to show or reset')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (flags) => {
        const { nodeTlsPinStore, resolveNodeStateDir } = await nodeAgent();
        const { formatFingerprint } = await import('@tether/protocol');
        const store = nodeTlsPinStore(resolveNodeStateDir(flags.stateDir));
        if (flags.url !== undefined) {
          try {
            new URL(flags.url);
          } catch {
            throw usageError(`--url must be a gateway URL such as wss://192.168.1.10:18789, got "${flags.url}"`);
          }
        }
        if (flags.reset) {
          const removed = await store.reset(flags.url);
          if (flags.json) return printJson({ removed });
          process.stdout.write(
            removed > 0
              ? `Removed ${removed} pin(s). The next \`tether node run\` shows the gateway's fingerprint and asks again (or pass --trust-fingerprint).\n`
              : `No pin to remove${flags.url ? ` for ${flags.url}` : ''}.\n`,
          );
          return;
        }
        const pins = store.list().filter((pin) => flags.url === undefined || pin.url === flags.url);
        if (flags.json) return printJson(pins.map(({ url, fingerprint, pinnedAtMs }) => ({ url, fingerprint, pinnedAtMs })));
        if (pins.length === 0) process.stdout.write('No gateway certificate pinned yet.\n');
        for (const pin of pins) process.stdout.write(`${pin.url}\n  SHA-256 ${formatFingerprint(pin.fingerprint)}\n  pinned ${new Date(pin.pinnedAtMs).toISOString()}\n`);
      }),
    );

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
