/**
 * `tether up`: a gateway and a node for this machine in one foreground command. The node pairs over
 * loopback with the gateway's own token, and may run a few read-only programs in forms that cannot
 * read files or change the machine (starter-allowlist.ts), so the first three commands just work.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { shellQuote } from '@tether/protocol';
import { action } from '../command-kit.js';
import { startLocalGateway, waitForStopSignal } from '../run-gateway.js';
import { mintLoginCode } from '@tether/gateway';
import { dashboardUrl } from './dashboard.js';
import { parsePort } from './gateway.js';
import { STARTER_ALLOWLIST } from './starter-allowlist.js';

type NodeAgentModule = typeof import('@tether/node-agent');

/** Only on first run: after that the allowlist belongs to the owner. */
async function seedStarterAllowlist(agent: NodeAgentModule, nodeStateDir: string): Promise<void> {
  for (const starter of STARTER_ALLOWLIST) {
    try {
      await agent.allowBinary(nodeStateDir, starter.name, starter.args ? { args: starter.args } : {});
    } catch (error) {
      // A program this machine lacks is simply not offered; anything else (an unwritable state dir) is real.
      if (!(error instanceof agent.ExecPolicyError && error.code === agent.ExecPolicyErrorCode.BINARY_NOT_FOUND)) throw error;
    }
  }
}

/**
 * Policies seeded by older versions allowed `date` and `hostname` with every argument. They are the
 * owner's now, so they are not rewritten, but the owner is told once per start how to close the hole.
 */
function warnAboutUnrestrictedStarters(agent: NodeAgentModule, nodeStateDir: string): string[] {
  const policy = agent.readExecPolicy(nodeStateDir);
  const state = ` --state-dir ${shellQuote(nodeStateDir)}`;
  const warnings: string[] = [];
  for (const starter of STARTER_ALLOWLIST) {
    if (!starter.args || !policy.allowlist.some((entry) => entry.name === starter.name && entry.args === undefined)) continue;
    const restrict = 'exact' in starter.args ? starter.args.exact.map((v) => `tether node allow ${starter.name} --exact${state}${v.length ? ` -- ${v.map(shellQuote).join(' ')}` : ''}`) : [];
    warnings.push(
      `Warning: this node's exec allowlist lets ${starter.name} run with every argument, which lets any operator.write caller read files ` +
        `or change this machine through it. To restrict it: tether node disallow ${starter.name}${state} && ${restrict.join(' && ')}`,
    );
  }
  return warnings;
}

const UP_LINK_TTL_MS = 10 * 60_000;

export function upCommand(): Command {
  return new Command('up')
    .description('start a gateway and a node for this machine, paired, in one command')
    .option('--port <port>', 'gateway port (default 18789)')
    .option('--state-dir <dir>', 'state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .option('--display-name <name>', 'name of this machine as a node')
    .action(
      action(async (flags) => {
        const gateway = await startLocalGateway({ stateDir: flags.stateDir, overrides: { port: parsePort(flags.port) } });
        // Programs that system.run starts inherit this process's environment: they must not see the owner token.
        delete process.env.TETHER_GATEWAY_TOKEN;
        const agent = await import('@tether/node-agent');
        const nodeStateDir = join(gateway.stateDir, 'node');
        if (!existsSync(agent.execPolicyPath(nodeStateDir))) await seedStarterAllowlist(agent, nodeStateDir);
        for (const warning of warnAboutUnrestrictedStarters(agent, nodeStateDir)) process.stderr.write(`${warning}\n`);
        // The shared token lets the node pair even where the gateway does not admit token-less loopback peers silently.
        const node = await agent.startNodeAgent({
          url: gateway.url,
          stateDir: nodeStateDir,
          displayName: flags.displayName as string | undefined,
          token: gateway.context.sharedToken,
        });
        const ready = await Promise.race([node.ready().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
        const name = (flags.displayName as string | undefined) ?? (await import('node:os')).hostname();
        const stateFlag = flags.stateDir ? ` --state-dir ${String(flags.stateDir)}` : '';
        // Listen for Ctrl+C before saying "Press Ctrl+C": a signal right after the banner must stop us cleanly.
        const stopped = waitForStopSignal();
        const channels = gateway.context.channels.list();
        const sharedToken = gateway.context.sharedToken;
        // Longer than tether dashboard's two minutes: people read the whole banner before opening it.
        const uiLink = dashboardUrl(gateway.url, sharedToken === undefined ? undefined : mintLoginCode(sharedToken, { ttlMs: UP_LINK_TTL_MS }));
        process.stdout.write(
          [
            '',
            `Tether is up: gateway ${gateway.url}, state in ${gateway.stateDir}`,
            ready ? `This machine is paired as node "${name}".` : 'The node is waiting for approval (see above).',
            `Control UI: ${uiLink}`,
            `  (this link logs a browser in once, within ${UP_LINK_TTL_MS / 60_000} minutes; later, npx tether dashboard${stateFlag} makes a new one)`,
            ...(channels.length > 0 ? [`Chat channels: ${channels.map((c) => `${c.name} ${c.state}`).join(', ')} (npx tether channels status${stateFlag})`] : []),
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
        await stopped;
        await node.close();
        await gateway.close('gateway stopping');
        return 0;
      }),
    );
}
