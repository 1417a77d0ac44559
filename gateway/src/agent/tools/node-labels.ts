/**
 * How the model names nodes: by display name when that is unique among the candidates, else by name
 * and id prefix, so every label picks exactly one node. Labels are terminal- and prompt-safe text
 * (control and bidi characters escaped), and matched back case-insensitively, by label, id or id prefix.
 */
import { safeLabel, type NodeInfo } from '@tether/protocol';

export interface LabelledNode {
  label: string;
  node: NodeInfo;
}

export function labelNodes(nodes: readonly NodeInfo[]): LabelledNode[] {
  const names = nodes.map((node) => safeLabel(node.displayName, 48, 'node'));
  const count = new Map<string, number>();
  for (const name of names) count.set(name.toLowerCase(), (count.get(name.toLowerCase()) ?? 0) + 1);
  return nodes.map((node, i) => {
    const name = names[i]!;
    return { node, label: count.get(name.toLowerCase()) === 1 ? name : `${name}-${node.nodeId.slice(0, 8)}` };
  });
}

export type NodeChoice = { ok: true; node: NodeInfo } | { ok: false; code: 'UNKNOWN_NODE' | 'AMBIGUOUS_NODE' | 'NODE_REQUIRED'; message: string };

/** The one node `query` names among `candidates`; an omitted query is fine when there is only one. */
export function chooseNode(candidates: readonly LabelledNode[], query: unknown, what: string): NodeChoice {
  const list = candidates.map((c) => c.label).join(', ') || 'none';
  if (query === undefined || query === '') {
    if (candidates.length === 1) return { ok: true, node: candidates[0]!.node };
    return { ok: false, code: 'NODE_REQUIRED', message: `${candidates.length} nodes offer ${what}: say which with "node" (one of: ${list})` };
  }
  if (typeof query !== 'string') return { ok: false, code: 'UNKNOWN_NODE', message: `"node" must be a string, one of: ${list}` };
  const wanted = query.trim().toLowerCase();
  const exact = candidates.filter((c) => c.label.toLowerCase() === wanted || c.node.nodeId === wanted);
  const matches = exact.length > 0 ? exact : candidates.filter((c) => wanted.length >= 6 && c.node.nodeId.startsWith(wanted));
  if (matches.length === 1) return { ok: true, node: matches[0]!.node };
  if (matches.length > 1) return { ok: false, code: 'AMBIGUOUS_NODE', message: `"${safeLabel(query)}" matches ${matches.length} nodes offering ${what}: ${matches.map((m) => m.label).join(', ')}` };
  return { ok: false, code: 'UNKNOWN_NODE', message: `no node "${safeLabel(query)}" offers ${what}; nodes that do: ${list}` };
}
