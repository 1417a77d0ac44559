/**
 * `--node <id|name|prefix>` → one node id. Exact id, then exact display name, then id prefix; when a
 * name matches several nodes, the connected one wins (stale duplicates must not break routing).
 */
import type { NodeInfo } from '@tether/protocol';
import { CliError } from './output.js';

export function resolveNode(nodes: NodeInfo[], query: string): NodeInfo {
  const byId = nodes.find((node) => node.nodeId === query);
  if (byId) return byId;
  const lower = query.toLowerCase();
  const byName = nodes.filter((node) => node.displayName?.toLowerCase() === lower);
  const candidates = byName.length > 0 ? byName : nodes.filter((node) => node.nodeId.startsWith(lower));
  const connected = candidates.filter((node) => node.connected);
  const pick = connected.length === 1 ? connected : candidates;
  if (pick.length === 1) return pick[0]!;
  if (pick.length === 0) {
    const known = nodes.map((node) => `${node.displayName ?? '?'} (${node.nodeId.slice(0, 12)})`).join(', ');
    throw new CliError(`no node matches "${query}"; known nodes: ${known || 'none'} (see \`tether nodes list\`)`);
  }
  throw new CliError(
    `"${query}" matches ${pick.length} nodes: ${pick.map((node) => `${node.displayName ?? '?'} (${node.nodeId.slice(0, 12)})`).join(', ')}; use a longer id prefix`,
  );
}
