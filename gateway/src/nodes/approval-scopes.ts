/**
 * What approving a pairing request needs: every scope it would grant, so approval can never hand out
 * more than the approver holds (`operator.pairing` alone must not mint an admin). The rule follows
 * OpenClaw's later versions: pairing always; the operator scopes the request asks for; `operator.write`
 * for a node surface (it lets operators invoke commands there); `operator.admin` for commands that run
 * programs, read or write files, or change the node's exec policy. `operator.admin` satisfies all.
 */
import type { PendingRequest } from '@tether/pairing';

/** Commands whose approval is as strong as admin: arbitrary programs, files, or the exec policy itself. */
const ADMIN_COMMAND_PATTERNS: readonly RegExp[] = [
  /^system\.run(\..*)?$/,
  /^system\.which$/,
  /^system\.execApprovals\..*/,
  /^browser\.proxy$/,
  /^fs\..*/,
  /^file\..*/,
  /^dir\..*/,
  /^terminal\..*/,
];

export function isAdminApprovalCommand(command: string): boolean {
  return ADMIN_COMMAND_PATTERNS.some((pattern) => pattern.test(command));
}

/** The scopes an approver must hold to approve `request` (leaving out `without`), sorted. */
export function requiredApproveScopes(request: Pick<PendingRequest, 'role' | 'scopes' | 'commands'>, without: readonly string[] = []): string[] {
  const required = new Set<string>(['operator.pairing', ...request.scopes]);
  const surface = request.role === 'node' ? request.commands.filter((command) => !without.includes(command)) : [];
  if (surface.length > 0) required.add('operator.write');
  if (surface.some(isAdminApprovalCommand)) required.add('operator.admin');
  return [...required].sort();
}

/** The required scopes the approver lacks (none when it holds operator.admin). */
export function missingApproveScopes(held: ReadonlySet<string>, required: readonly string[]): string[] {
  if (held.has('operator.admin')) return [];
  return required.filter((scope) => !held.has(scope));
}
