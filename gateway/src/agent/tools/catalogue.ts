/**
 * The agent's tool list for one model turn, built from the live node list: a device tool exists only
 * while a connected, paired node offers its command (and the agent's policy allows it), `node` is an
 * enum of exactly those nodes, and `resolve` turns a model's tool call back into one node.invoke (or
 * a listing), or into an error that names the candidates. Rebuilt for every turn, so a node that left
 * is gone from the next request.
 */
import { createValidator, isRecord, type NodeInfo, type Validator } from '@tether/protocol';
import { COMMANDS_WITH_TOOLS, DEVICE_TOOLS, type DeviceTool } from './device-tools.js';
import { chooseNode, labelNodes, type LabelledNode } from './node-labels.js';
import { modelParameters, withNodeParameter, type JsonSchemaObject } from './tool-schema.js';

export interface AgentToolPolicy {
  /** Node ids or display names the agent may use; absent = all. */
  allowNodes?: readonly string[];
  denyNodes?: readonly string[];
  /** Commands the agent may invoke; absent = all the nodes offer. Deny wins. */
  allowCommands?: readonly string[];
  denyCommands?: readonly string[];
}

export interface ModelTool {
  name: string;
  description: string;
  parameters: JsonSchemaObject;
}

export type ResolvedCall =
  | { kind: 'invoke'; tool: string; nodeId: string; nodeLabel: string; command: string; params: Record<string, unknown> }
  | { kind: 'list_nodes' }
  | { kind: 'describe_node'; nodeId: string; nodeLabel: string }
  | { kind: 'error'; code: 'UNKNOWN_TOOL' | 'UNKNOWN_NODE' | 'AMBIGUOUS_NODE' | 'NODE_REQUIRED' | 'INVALID_ARGUMENTS'; message: string };

export interface ToolCatalogue {
  tools: ModelTool[];
  resolve(name: string, args: unknown): ResolvedCall;
}

const validators = new WeakMap<object, Validator<unknown>>();
function validatorOf(tool: DeviceTool): Validator<unknown> {
  let validator = validators.get(tool);
  if (!validator) validators.set(tool, (validator = createValidator(tool.params) as Validator<unknown>));
  return validator;
}

function allowed(list: readonly string[] | undefined, node: NodeInfo): boolean {
  return list === undefined || list.some((entry) => entry === node.nodeId || entry.toLowerCase() === node.displayName?.toLowerCase());
}

function usableNodes(nodes: readonly NodeInfo[], policy: AgentToolPolicy): NodeInfo[] {
  return nodes.filter((node) => node.connected && node.paired && allowed(policy.allowNodes, node) && !(policy.denyNodes && allowed(policy.denyNodes, node)));
}

function commandAllowed(policy: AgentToolPolicy, command: string): boolean {
  if (policy.denyCommands?.includes(command)) return false;
  return policy.allowCommands === undefined || policy.allowCommands.includes(command);
}

export function buildToolCatalogue(nodes: readonly NodeInfo[], policy: AgentToolPolicy = {}): ToolCatalogue {
  const usable = usableNodes(nodes, policy);
  const offering = (command: string) => labelNodes(usable.filter((node) => node.commands.includes(command) && commandAllowed(policy, command)));
  const tools: ModelTool[] = [];
  const byName = new Map<string, (args: Record<string, unknown>) => ResolvedCall>();

  for (const tool of DEVICE_TOOLS) {
    const candidates = offering(tool.command);
    if (candidates.length === 0) continue;
    const parameters = withNodeParameter(modelParameters(tool.params, tool.exposed), candidates.map((c) => c.label), `The node to use (nodes that offer ${tool.command}).`);
    tools.push({ name: tool.name, description: tool.description, parameters });
    byName.set(tool.name, (args) => resolveDeviceCall(tool, candidates, args));
  }

  const others = [...new Set(usable.flatMap((node) => node.commands))].filter((command) => !COMMANDS_WITH_TOOLS.has(command) && commandAllowed(policy, command)).sort();
  if (others.length > 0) {
    const candidates = labelNodes(usable.filter((node) => node.commands.some((command) => others.includes(command))));
    tools.push({
      name: 'node_invoke',
      description: 'Invoke another command a node declares, with its params as an object.',
      parameters: withNodeParameter(
        { type: 'object', properties: { command: { type: 'string', enum: others }, params: { type: 'object' } }, required: ['command'], additionalProperties: false },
        candidates.map((c) => c.label),
        'The node to invoke.',
      ),
    });
    byName.set('node_invoke', (args) => resolveGenericCall(candidates, others, args));
  }

  const all = labelNodes(usable);
  tools.push({ name: 'list_nodes', description: 'List the connected nodes and the commands each offers.', parameters: { type: 'object', properties: {}, additionalProperties: false } });
  byName.set('list_nodes', () => ({ kind: 'list_nodes' }));
  if (all.length > 0) {
    tools.push({
      name: 'describe_node',
      description: 'Describe one node: platform, commands, state.',
      parameters: withNodeParameter({ type: 'object', properties: {}, additionalProperties: false }, all.map((c) => c.label), 'The node to describe.'),
    });
    byName.set('describe_node', (args) => {
      const choice = chooseNode(all, args.node, 'describe_node');
      return choice.ok ? { kind: 'describe_node', nodeId: choice.node.nodeId, nodeLabel: labelOf(all, choice.node) } : { kind: 'error', code: choice.code, message: choice.message };
    });
  }

  return {
    tools,
    resolve(name, args) {
      const resolver = byName.get(name);
      const known = tools.map((tool) => tool.name).join(', ');
      if (!resolver) return { kind: 'error', code: 'UNKNOWN_TOOL', message: `no tool "${name.slice(0, 64)}" right now; the tools are: ${known}` };
      if (args !== undefined && !isRecord(args)) return { kind: 'error', code: 'INVALID_ARGUMENTS', message: `${name} takes an object of arguments` };
      return resolver(args ?? {});
    },
  };
}

function labelOf(candidates: readonly LabelledNode[], node: NodeInfo): string {
  return candidates.find((c) => c.node === node)?.label ?? node.nodeId.slice(0, 12);
}

function resolveDeviceCall(tool: DeviceTool, candidates: readonly LabelledNode[], args: Record<string, unknown>): ResolvedCall {
  const choice = chooseNode(candidates, args.node, tool.command);
  if (!choice.ok) return { kind: 'error', code: choice.code, message: choice.message };
  const { node: _node, ...params } = args;
  const unexposed = tool.exposed ? Object.keys(params).filter((key) => !tool.exposed!.includes(key)) : [];
  const validator = validatorOf(tool);
  if (unexposed.length > 0 || !validator.check(params)) {
    const why = unexposed.length > 0 ? `unknown argument(s) ${unexposed.join(', ')}` : validator.lastError();
    return { kind: 'error', code: 'INVALID_ARGUMENTS', message: `invalid ${tool.name} arguments: ${why}` };
  }
  return { kind: 'invoke', tool: tool.name, nodeId: choice.node.nodeId, nodeLabel: labelOf(candidates, choice.node), command: tool.command, params };
}

function resolveGenericCall(candidates: readonly LabelledNode[], commands: readonly string[], args: Record<string, unknown>): ResolvedCall {
  if (typeof args.command !== 'string' || !commands.includes(args.command)) {
    return { kind: 'error', code: 'INVALID_ARGUMENTS', message: `node_invoke needs "command", one of: ${commands.join(', ')}` };
  }
  const command = args.command;
  const offering = candidates.filter((c) => c.node.commands.includes(command));
  const choice = chooseNode(offering, args.node, command);
  if (!choice.ok) return { kind: 'error', code: choice.code, message: choice.message };
  if (args.params !== undefined && !isRecord(args.params)) return { kind: 'error', code: 'INVALID_ARGUMENTS', message: 'node_invoke "params" must be an object' };
  return { kind: 'invoke', tool: 'node_invoke', nodeId: choice.node.nodeId, nodeLabel: labelOf(offering, choice.node), command, params: (args.params as Record<string, unknown>) ?? {} };
}
