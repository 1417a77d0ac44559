/** `tether node …`: this machine as a node — run the agent, set its exec policy, show or reset its identity. */
import { Command } from 'commander';
import { identityExists, loadOrCreateIdentity, resetIdentity } from '@tether/pairing';
import { action } from '../command-kit.js';
import { printJson, usageError } from '../output.js';

const STATE_DIR_HELP = 'node state directory (default: TETHER_NODE_STATE_DIR or ~/.tether/node)';

async function nodeAgent() {
  return import('@tether/node-agent');
}

function policyHint(stateDirFlag: unknown): string {
  return stateDirFlag ? ` --state-dir ${String(stateDirFlag)}` : '';
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

  node
    .command('allow <binary>')
    .description('let system.run start this program (a path, or a name looked up on PATH)')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (flags, binary: string) => {
        const { allowBinary, resolveNodeStateDir, readExecPolicy } = await nodeAgent();
        const stateDir = resolveNodeStateDir(flags.stateDir);
        const resolved = await allowBinary(stateDir, binary);
        const policy = readExecPolicy(stateDir);
        if (flags.json) return printJson({ allowed: resolved, policy });
        process.stdout.write(`Allowed ${resolved}\n`);
        if (policy.security !== 'allowlist') {
          process.stdout.write(`Note: security is "${policy.security}", so the allowlist is not consulted (tether node policy --security allowlist${policyHint(flags.stateDir)}).\n`);
        }
      }),
    );

  node
    .command('policy')
    .description('show or change what system.run may start on this node')
    .option('--security <level>', 'deny | allowlist | full')
    .option('--ask <mode>', 'ask an operator before a run: off | on-miss (not on the allowlist) | always')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (flags) => {
        const { EXEC_ASK_MODES, EXEC_SECURITY_LEVELS, readExecPolicy, resolveNodeStateDir, setAsk, setSecurity } = await nodeAgent();
        const stateDir = resolveNodeStateDir(flags.stateDir);
        if (flags.security !== undefined) {
          const level = String(flags.security);
          if (!(EXEC_SECURITY_LEVELS as readonly string[]).includes(level)) {
            throw usageError(`--security must be one of ${EXEC_SECURITY_LEVELS.join(', ')}, got "${level}"`);
          }
          await setSecurity(stateDir, level as (typeof EXEC_SECURITY_LEVELS)[number]);
        }
        if (flags.ask !== undefined) {
          const ask = String(flags.ask);
          if (!(EXEC_ASK_MODES as readonly string[]).includes(ask)) throw usageError(`--ask must be one of ${EXEC_ASK_MODES.join(', ')}, got "${ask}"`);
          await setAsk(stateDir, ask as (typeof EXEC_ASK_MODES)[number]);
        }
        const policy = readExecPolicy(stateDir);
        if (flags.json) return printJson(policy);
        process.stdout.write(`security: ${policy.security}\nask: ${policy.ask}\nallowlist:${policy.allowlist.length === 0 ? ' (empty)' : ''}\n`);
        for (const entry of policy.allowlist) process.stdout.write(`  ${entry}\n`);
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
