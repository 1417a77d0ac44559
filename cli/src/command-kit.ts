/** Shared plumbing for commands: the common flags and an action wrapper that turns errors into exit codes. */
import type { Command } from 'commander';
import type { ConnectionFlags } from './gateway-target.js';
import { EXIT_OK, reportError } from './output.js';

export interface ExitState {
  code: number;
}

export const exitState: ExitState = { code: EXIT_OK };

export function withConnectionOptions(command: Command): Command {
  return command
    .option('--json', 'print machine-readable JSON')
    .option('--url <url>', 'gateway WebSocket URL (default: the local gateway)')
    .option('--token <token>', 'gateway token (default: TETHER_GATEWAY_TOKEN, or the local state dir)')
    .option('--timeout <ms>', 'how long to wait for the gateway, in milliseconds')
    .option('--state-dir <dir>', 'gateway state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .option('--trust-fingerprint <sha256>', "pin a remote wss:// gateway's TLS certificate (SHA-256, as it prints at start)")
    .option('--insecure', 'allow plaintext ws:// to an address beyond loopback');
}

/** Wraps an action: the last argument commander passes is the Command, whose opts() hold the flags. */
export function action<A extends unknown[]>(run: (flags: ConnectionFlags & Record<string, unknown>, ...args: A) => Promise<number | void>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const flags = command.opts() as ConnectionFlags & Record<string, unknown>;
    try {
      const code = await run(flags, ...(received.slice(0, -2) as A));
      exitState.code = code ?? EXIT_OK;
    } catch (error) {
      exitState.code = reportError(error, flags.json === true);
    }
  };
}
