// The `tether-node` program of the node-only package (scripts/pack.mjs bundles it): the same commands as
// `tether node …` (run, allow, disallow, policy, trust, doctor, identity), from the same code, under a
// program of their own. `run` is the default, so `tether-node --url …` works as the old binary did.
// Only the node's side is reachable from here: the pack fails if the bundle pulls the gateway or a chat SDK.
import { Command, CommanderError } from 'commander';
import { exitState } from '../cli/dist/command-kit.js';
import { nodeCommand } from '../cli/dist/commands/node.js';
import { EXIT_USAGE } from '../cli/dist/output.js';

/* global __TETHER_VERSION__ */
const VERSION = typeof __TETHER_VERSION__ === 'string' ? __TETHER_VERSION__ : '0.0.0-dev';

export function buildNodeProgram() {
  const program = new Command('tether-node')
    .description('this machine as a Tether node: connect to a gateway and serve its commands (the same commands as `tether node …`)')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const command of [...nodeCommand().commands]) program.addCommand(command, command.name() === 'run' ? { isDefault: true } : {});
  const applyOverride = (command) => {
    command.exitOverride();
    command.commands.forEach(applyOverride);
  };
  applyOverride(program);
  return program;
}

export async function main(argv) {
  exitState.code = 0;
  try {
    await buildNodeProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    throw error;
  }
  return exitState.code;
}
