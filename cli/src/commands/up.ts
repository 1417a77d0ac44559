/**
 * `tether up`: a gateway and a node for this machine in one foreground command. The node pairs
 * silently over loopback and may run a few harmless programs, so the first three commands just work.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { action } from '../command-kit.js';
import { startLocalGateway, waitForStopSignal } from '../run-gateway.js';
import { parsePort } from './gateway.js';

const STARTER_ALLOWLIST = ['uname', 'uptime', 'hostname', 'df', 'date'];

export function upCommand(): Command {
  return new Command('up')
    .description('start a gateway and a node for this machine, paired, in one command')
    .option('--port <port>', 'gateway port (default 18789)')
    .option('--state-dir <dir>', 'state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .option('--display-name <name>', 'name of this machine as a node')
    .action(
      action(async (flags) => {
        const gateway = await startLocalGateway({ stateDir: flags.stateDir, overrides: { port: parsePort(flags.port) } });
        const { allowBinary, execPolicyPath, startNodeAgent } = await import('@tether/node-agent');
        const nodeStateDir = join(gateway.stateDir, 'node');
        // Only on first run: after that the allowlist belongs to the owner.
        if (!existsSync(execPolicyPath(nodeStateDir))) {
          for (const name of STARTER_ALLOWLIST) await allowBinary(nodeStateDir, name).catch(() => undefined);
        }
        const node = await startNodeAgent({ url: gateway.url, stateDir: nodeStateDir, displayName: flags.displayName as string | undefined });
        const ready = await Promise.race([node.ready().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
        const name = (flags.displayName as string | undefined) ?? (await import('node:os')).hostname();
        const stateFlag = flags.stateDir ? ` --state-dir ${String(flags.stateDir)}` : '';
        process.stdout.write(
          [
            '',
            `Tether is up: gateway ${gateway.url}, state in ${gateway.stateDir}`,
            ready ? `This machine is paired as node "${name}".` : 'The node is waiting for approval (see above).',
            '',
            'Try next (in another terminal):',
            `  npx tether nodes list${stateFlag}`,
            `  npx tether nodes run${stateFlag} --node ${JSON.stringify(name)} -- uname -a`,
            `  npx tether devices list${stateFlag}`,
            '',
            'Press Ctrl+C to stop.',
            '',
          ].join('\n'),
        );
        await waitForStopSignal();
        await node.close();
        await gateway.close('gateway stopping');
        return 0;
      }),
    );
}
