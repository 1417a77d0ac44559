/** `tether nodes …`: list, describe and invoke nodes; `nodes run` runs a program on one and mirrors its exit code. */
import { Command } from 'commander';
import type { NodeInfo, NodeListResult, SystemRunResult } from '@tether/protocol';
import { action, withConnectionOptions } from '../command-kit.js';
import { captureCommands } from './nodes-capture.js';
import { withGateway } from '../gateway-target.js';
import { invokeNode } from '../node-invoke.js';
import { findNode } from '../node-target.js';
import { CliError, printJson, printLines, usageError } from '../output.js';
import { writeProgramOutput } from '../program-output.js';
import { nodeDetailsView, nodesListView } from '../views/nodes-view.js';

function parseParams(text: string | undefined): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usageError(`--params must be JSON, e.g. '{"bins":["git"]}': ${(error as Error).message}`);
  }
}

function parseEnv(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError(`--env takes KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

export function nodesCommand(): Command {
  const nodes = new Command('nodes').description('list nodes and run commands on them');

  withConnectionOptions(nodes.command('list').description('paired and connected nodes')).action(
    action(async (flags) => {
      const result = await withGateway(flags, ['operator.read'], (client) => client.request<NodeListResult>('node.list', {}));
      if (flags.json) return printJson({ nodes: result.nodes });
      printLines(nodesListView(result.nodes));
    }),
  );

  withConnectionOptions(nodes.command('describe').description('everything known about one node').requiredOption('--node <node>', 'id, name or id prefix')).action(
    action(async (flags) => {
      const info = await withGateway(flags, ['operator.read'], async (client) => {
        const node = await findNode(client, String(flags.node), { includeUnpaired: true });
        return client.request<NodeInfo>('node.describe', { nodeId: node.nodeId });
      });
      if (flags.json) return printJson(info);
      printLines(nodeDetailsView(info));
    }),
  );

  withConnectionOptions(
    nodes
      .command('invoke')
      .description('invoke one command on a node and print its result')
      .requiredOption('--node <node>', 'id, name or id prefix')
      .requiredOption('--command <command>', 'e.g. system.which')
      .option('--params <json>', 'command params as JSON', '{}')
      .option('--invoke-timeout <ms>', 'deadline for the command on the node', '30000'),
  ).action(
    action(async (flags) => {
      const params = parseParams(flags.params as string);
      const timeoutMs = Number(flags.invokeTimeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw usageError('--invoke-timeout takes milliseconds as a positive whole number');
      const result = await withGateway(flags, ['operator.read', 'operator.write'], async (client) => {
        const node = await findNode(client, String(flags.node));
        return invokeNode(client, node, String(flags.command), params, timeoutMs);
      });
      printJson(flags.json ? result : result.payload);
    }),
  );

  withConnectionOptions(
    nodes
      .command('run')
      .description('run a program on a node (no shell); exits with its exit code')
      .requiredOption('--node <node>', 'id, name or id prefix')
      .option('--cwd <dir>', 'working directory on the node')
      .option('--env <KEY=VALUE...>', 'environment variables for the program')
      .option('--command-timeout <ms>', 'kill the program after this long', '30000')
      .argument('<argv...>', 'program and arguments, after --'),
  ).action(
    action(async (flags, argv: string[]) => {
      const commandTimeoutMs = Number(flags.commandTimeout);
      if (!Number.isInteger(commandTimeoutMs) || commandTimeoutMs <= 0) throw usageError('--command-timeout takes milliseconds as a positive whole number');
      const params: Record<string, unknown> = { command: argv, timeoutMs: commandTimeoutMs };
      if (flags.cwd) params.cwd = flags.cwd;
      const env = parseEnv(flags.env as string[] | undefined);
      if (env) params.env = env;
      const result = await withGateway(flags, ['operator.read', 'operator.write'], async (client) => {
        const node = await findNode(client, String(flags.node));
        // The invoke covers an operator's approval (if the node asks for one) and then the run itself.
        return invokeNode(client, node, 'system.run', params, commandTimeoutMs * 2 + 2_000);
      });
      // invokeNode checked the payload against SystemRunResult, so these fields have their types.
      const run = result.payload as SystemRunResult;
      // With --json the result object is the whole answer: it already carries exitCode and timedOut.
      if (flags.json) {
        printJson(run);
        return run.exitCode ?? (run.timedOut ? 124 : 1);
      } else {
        writeProgramOutput(process.stdout, run.stdout);
        writeProgramOutput(process.stderr, run.stderr);
        if (run.truncated) process.stderr.write('\n[output truncated at 200 kB]\n');
      }
      if (run.timedOut) throw new CliError(`killed after ${commandTimeoutMs} ms (--command-timeout)`, 124, 'TIMEOUT');
      if (run.exitCode === null) throw new CliError(run.error ?? 'the program ended without an exit code', 1, 'COMMAND_FAILED');
      return run.exitCode;
    }),
  );
  for (const command of captureCommands()) nodes.addCommand(command);
  return nodes;
}
