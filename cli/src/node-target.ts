/**
 * `--node <id|name|prefix>` → one paired node. A display name is whatever the device says it is, and an
 * unpaired device can connect and hold a socket under any name, so names resolve among paired nodes
 * only: an unpaired device never shadows a paired one (even an offline one), and a name only an
 * unpaired device uses is refused with the step that tells a real device from an impostor.
 */
import type { GatewayClient, NodeInfo, NodeListResult } from '@tether/protocol';
import { safeLabel } from '@tether/protocol';
import { CliError, printNote } from './output.js';

export interface NodeResolution {
  node: NodeInfo;
  /** Something the operator should know about the choice (printed to stderr). */
  note?: string;
}

export function nodeLabel(node: NodeInfo): string {
  return `${safeLabel(node.displayName, 64, '?')} (${node.nodeId.slice(0, 12)})`;
}

function notPaired(query: string, strangers: readonly NodeInfo[]): CliError {
  const who = strangers
    .map((node) => `${node.nodeId.slice(0, 12)}${node.pendingRequestId ? `, pending request ${node.pendingRequestId.slice(0, 8)}` : ''}`)
    .join('; ');
  return new CliError(
    `"${safeLabel(query)}" is NOT paired: only ${strangers.length === 1 ? 'a device that is not paired' : `${strangers.length} devices that are not paired`} (${who}) ` +
      'use that name, and any device can call itself anything. Nothing was sent to it. Before approving anything, compare its ' +
      'verification code in `tether devices list` with the code shown on the device itself.',
    1,
    'NODE_NOT_PAIRED',
  );
}

/** Picks one of several paired nodes: the only connected one (a stale record must not break routing), or none. */
function pickPaired(query: string, matches: readonly NodeInfo[]): NodeResolution {
  if (matches.length === 1) return { node: matches[0]! };
  const connected = matches.filter((node) => node.connected);
  if (connected.length === 1) {
    const others = matches.filter((node) => node !== connected[0]).map((node) => node.nodeId.slice(0, 12));
    return {
      node: connected[0]!,
      note: `${matches.length} paired nodes match "${safeLabel(query)}"; using the connected one, ${nodeLabel(connected[0]!)} (offline: ${others.join(', ')}; pass an id prefix to pick another)`,
    };
  }
  throw new CliError(`"${safeLabel(query)}" matches ${matches.length} paired nodes: ${matches.map(nodeLabel).join(', ')}; pass a longer id prefix`, 1, 'AMBIGUOUS_NODE');
}

export interface ResolveOptions {
  /** Read-only commands (describe) may look at an unpaired device, but only when no paired node matches. */
  includeUnpaired?: boolean;
}

export function resolveNode(nodes: readonly NodeInfo[], query: string, options: ResolveOptions = {}): NodeResolution {
  const byId = nodes.find((node) => node.nodeId === query);
  if (byId) {
    if (!byId.paired && !options.includeUnpaired) throw notPaired(query, [byId]);
    return { node: byId };
  }
  const lower = query.toLowerCase();
  const byName = nodes.filter((node) => node.displayName?.toLowerCase() === lower);
  const candidates = byName.length > 0 ? byName : nodes.filter((node) => lower !== '' && node.nodeId.startsWith(lower));
  const paired = candidates.filter((node) => node.paired);
  const strangers = candidates.filter((node) => !node.paired);
  if (paired.length > 0) {
    const resolution = pickPaired(query, paired);
    if (strangers.length === 0 || byName.length === 0) return resolution;
    const ignored = `an unpaired device also calls itself "${safeLabel(query)}" (${strangers.map((node) => node.nodeId.slice(0, 12)).join(', ')}); it was ignored`;
    return { node: resolution.node, note: resolution.note ? `${resolution.note}; ${ignored}` : ignored };
  }
  if (strangers.length === 1 && options.includeUnpaired) {
    return { node: strangers[0]!, note: `${nodeLabel(strangers[0]!)} is NOT paired; compare its verification code in \`tether devices list\` before approving anything` };
  }
  if (strangers.length > 0) throw notPaired(query, strangers);
  const known = nodes.filter((node) => node.paired).map(nodeLabel).join(', ');
  throw new CliError(`no paired node matches "${safeLabel(query)}"; paired nodes: ${known || 'none'} (see \`tether nodes list\`)`, 1, 'UNKNOWN_NODE');
}

/** Lists the gateway's nodes and resolves `query` among them, printing any note about the choice. */
export async function findNode(client: GatewayClient, query: string, options: ResolveOptions = {}): Promise<NodeInfo> {
  const { nodes } = await client.request<NodeListResult>('node.list', {});
  const { node, note } = resolveNode(nodes, query, options);
  if (note) printNote(note);
  return node;
}
