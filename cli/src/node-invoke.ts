/**
 * Every node command the CLI sends goes through `invokeNode`: the node's answer is checked against the
 * command's result schema (protocol's `checkCommandResult`) before anything prints, saves or branches
 * on it, and the gateway's refusals get a next step that names the node the CLI actually resolved.
 */
import { randomUUID } from 'node:crypto';
import { checkCommandResult, DetailCode, GatewayError, INVALID_NODE_RESULT, type GatewayClient, type NodeInfo, type NodeInvokeResult } from '@tether/protocol';
import { nodeLabel } from './node-target.js';
import { ago, CliError } from './output.js';

/** The refusal of a node result the CLI cannot use; `node` names who answered when it is known. */
export function invalidNodeResult(node: NodeInfo | undefined, reason: string): CliError {
  const who = node ? `node ${nodeLabel(node)}` : 'the node';
  const describe = node ? `tether nodes describe --node ${node.nodeId.slice(0, 12)}` : 'tether nodes describe';
  return new CliError(
    `${who} answered with a result the CLI will not use (${reason}); nothing was printed or saved. ` +
      `The node may run incompatible or hostile software: check it with \`${describe}\``,
    1,
    INVALID_NODE_RESULT,
  );
}

/** A gateway refusal, rephrased with the resolved node so the hint cannot point at another device. */
function explainRefusal(error: GatewayError, node: NodeInfo, command: string): Error {
  const details = error.details ?? {};
  if (error.detailCode === DetailCode.NOT_CONNECTED) {
    return new CliError(
      `node ${nodeLabel(node)} is paired but offline (last seen ${ago(node.lastSeenAtMs)}); start it, or pick another node from \`tether nodes list\``,
      1,
      DetailCode.NOT_CONNECTED,
    );
  }
  if (error.detailCode === DetailCode.COMMAND_NOT_ALLOWED && details.reason === 'command not approved') {
    const request = node.pendingRequestId
      ? `its request ${node.pendingRequestId.slice(0, 8)} is in \`tether devices list\`: approve it only if the DEVICE column there shows ${node.nodeId.slice(0, 12)}`
      : `it has not asked for it (no request from ${node.nodeId.slice(0, 12)} in \`tether devices list\`)`;
    return new CliError(`"${command}" is not in the approved commands of node ${nodeLabel(node)}; ${request}`, 1, DetailCode.COMMAND_NOT_ALLOWED);
  }
  return error;
}

export async function invokeNode(client: GatewayClient, node: NodeInfo, command: string, params: unknown, timeoutMs: number): Promise<NodeInvokeResult> {
  let result: NodeInvokeResult;
  try {
    // The request deadline is the invoke's plus a margin, so the gateway's TIMEOUT answer arrives first.
    result = await client.request<NodeInvokeResult>(
      'node.invoke',
      { nodeId: node.nodeId, command, params, timeoutMs, idempotencyKey: randomUUID() },
      { timeoutMs: timeoutMs + 5_000 },
    );
  } catch (error) {
    throw error instanceof GatewayError ? explainRefusal(error, node, command) : error;
  }
  const check = checkCommandResult(command, result.payload);
  if (!check.ok) throw invalidNodeResult(node, check.reason);
  return result;
}
