/**
 * Which commands may run on a node: declared by the node now, inside its approved surface, and
 * allowed by the gateway's command policy.
 */
import { safeLabel } from '@tether/protocol';
import { checkCommandPolicy, type CommandPolicyConfig } from './command-policy.js';
import type { NodeSession } from './registry.js';

export type CommandDecision =
  | { allowed: true }
  | { allowed: false; reason: 'command not declared by node' | 'command not approved' | 'command not allowlisted'; message: string };

export function checkNodeCommand(session: NodeSession, command: string, policy?: CommandPolicyConfig): CommandDecision {
  const name = safeLabel(session.displayName, 64, session.nodeId.slice(0, 12));
  if (!session.declaredCommands.includes(command)) {
    return {
      allowed: false,
      reason: 'command not declared by node',
      message: `node command not allowed: "${command}" is not offered by node ${name} (platform: ${session.platform ?? 'unknown'}); it offers: ${safeLabel(session.declaredCommands.join(', '), 2000, 'nothing')}`,
    };
  }
  if (!session.approvedCommands.has(command)) {
    return {
      allowed: false,
      reason: 'command not approved',
      message: `node command not allowed: "${command}" on node ${name} was not approved; approve its pending request with \`tether devices approve <requestId>\` (see \`tether devices list\`)`,
    };
  }
  if (policy) {
    const decision = checkCommandPolicy(policy, command, session.platform, session.deviceFamily);
    if (!decision.allowed) return { allowed: false, reason: 'command not allowlisted', message: decision.message };
  }
  return { allowed: true };
}

/** The commands an operator can actually invoke on this node. */
export function effectiveCommands(session: NodeSession, policy?: CommandPolicyConfig): string[] {
  return session.declaredCommands.filter((command) => checkNodeCommand(session, command, policy).allowed).sort();
}
