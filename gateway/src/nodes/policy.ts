/** Which commands may run on a node: declared by the node now and inside its approved surface. */
import type { NodeSession } from './registry.js';

export type CommandDecision = { allowed: true } | { allowed: false; reason: 'command not declared by node' | 'command not approved'; message: string };

export function checkNodeCommand(session: NodeSession, command: string): CommandDecision {
  const name = session.displayName ?? session.nodeId.slice(0, 12);
  if (!session.declaredCommands.includes(command)) {
    return {
      allowed: false,
      reason: 'command not declared by node',
      message: `node command not allowed: "${command}" is not offered by node ${name} (platform: ${session.platform ?? 'unknown'}); it offers: ${session.declaredCommands.join(', ') || 'nothing'}`,
    };
  }
  if (!session.approvedCommands.has(command)) {
    return {
      allowed: false,
      reason: 'command not approved',
      message: `node command not allowed: "${command}" on node ${name} was not approved; approve its pending request with \`tether devices approve <requestId>\` (see \`tether devices list\`)`,
    };
  }
  return { allowed: true };
}

/** The commands an operator can actually invoke on this node. */
export function effectiveCommands(session: NodeSession): string[] {
  return session.declaredCommands.filter((command) => session.approvedCommands.has(command)).sort();
}
