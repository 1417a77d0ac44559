/** The `tether` command. Thin: it parses flags and calls the packages that do the work. */
import { Command, CommanderError } from 'commander';
import { exitState } from './command-kit.js';
import { agentCommand, chatCommand } from './commands/agent.js';
import { approvalsCommand } from './commands/approvals.js';
import { channelsCommand } from './commands/channels.js';
import { configCommand } from './commands/config.js';
import { dashboardCommand } from './commands/dashboard.js';
import { devicesCommand } from './commands/devices.js';
import { doctorCommand } from './commands/doctor.js';
import { gatewayCommand, healthCommand } from './commands/gateway.js';
import { logsCommand } from './commands/logs.js';
import { mcpCommand } from './commands/mcp.js';
import { nodeCommand } from './commands/node.js';
import { nodesCommand } from './commands/nodes.js';
import { securityCommand } from './commands/security.js';
import { sessionsCommand } from './commands/sessions.js';
import { upCommand } from './commands/up.js';
import { CLI_VERSION } from './gateway-target.js';
import { EXIT_USAGE } from './output.js';

export function buildProgram(): Command {
  const program = new Command('tether')
    .description('Tether: a node mesh for AI agents')
    .version(CLI_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const command of [upCommand(), gatewayCommand(), healthCommand(), devicesCommand(), nodesCommand(), nodeCommand(), approvalsCommand(), agentCommand(), chatCommand(), sessionsCommand(), mcpCommand(), channelsCommand(), dashboardCommand(), configCommand(), doctorCommand(), securityCommand(), logsCommand()]) {
    program.addCommand(command);
  }
  // Subcommands inherit the exit override so usage errors come back here as exit code 2.
  const applyOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(applyOverride);
  };
  applyOverride(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  exitState.code = 0;
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with exit code 0; everything else commander rejects is bad usage.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    throw error;
  }
  return exitState.code;
}
