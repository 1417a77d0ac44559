/**
 * Approving a pending request, as one pure change to a draft state. Shared by the owner's
 * `PairingStore.approve` and the silent approvals inside `decide`, so both grant exactly the same way.
 */
import { PairingStoreError } from './errors.js';
import type { ApprovedVia, AuditEntry, PairedDevice, PairingState, PendingRequest, Role } from './types.js';
import { own } from '@tether/protocol';

export interface ApprovalOptions {
  /** Declared commands to leave out of the approved surface. */
  without?: readonly string[];
  via: ApprovedVia;
  now: number;
}

/** The grant a request asks for; requests with the same grant are the same request (one stable id). */
export function sameGrant(a: Pick<PendingRequest, 'role' | 'scopes' | 'commands'>, b: Pick<PendingRequest, 'role' | 'scopes' | 'commands'>): boolean {
  return a.role === b.role && sameSet(a.scopes, b.scopes) && sameSet(a.commands, b.commands);
}

export function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** Order-preserving, so a device's first role stays its primary one. */
export function unionRoles(...lists: readonly (readonly Role[])[]): Role[] {
  return [...new Set(lists.flat())];
}

/**
 * Merges the request into the paired record (roles and scopes only grow), binds the declared command
 * snapshot, and resolves the request. A token-revoked repair drops the revoked token record so the next
 * admission mints a fresh one.
 *
 * The command surface (declared and approved commands, caps) belongs to the node role: only a node
 * request sets it. An operator request from a device that is also a node carries an empty surface, and
 * taking it would silently stop the node serving (security review, finding 9).
 */
export function applyApproval(
  draft: PairingState,
  request: PendingRequest,
  options: ApprovalOptions,
): { device: PairedDevice; audit: AuditEntry } {
  const without = options.without ?? [];
  // Refuse unknown names: a typo in --without must not silently approve the command it meant to drop.
  const unknown = without.filter((command) => !request.commands.includes(command));
  if (unknown.length > 0) {
    throw new PairingStoreError(
      'INVALID_GRANT',
      `request ${request.requestId} does not declare ${unknown.join(', ')}; it declares: ${request.commands.join(', ') || '(no commands)'} — leave out only commands from that list`,
    );
  }
  const previous = own(draft.paired, request.deviceId);
  const tokens = { ...previous?.tokens };
  if (request.reason === 'token-revoked' && tokens[request.role]?.revokedAtMs !== undefined) delete tokens[request.role];
  const surface = request.role === 'node' ? nodeSurface(request, without) : keptSurface(previous);
  const device: PairedDevice = {
    deviceId: request.deviceId,
    publicKey: request.publicKey,
    roles: unionRoles(previous?.roles ?? [], request.roles, [request.role]),
    scopes: sortedUnique([...(previous?.scopes ?? []), ...request.scopes]),
    ...surface,
    // A name the owner gave (device.rename) wins over the one the device declares.
    displayName: previous?.renamedAtMs !== undefined ? previous.displayName : (request.displayName ?? previous?.displayName),
    ...(previous?.renamedAtMs !== undefined && { renamedAtMs: previous.renamedAtMs }),
    platform: request.platform ?? previous?.platform,
    deviceFamily: request.deviceFamily ?? previous?.deviceFamily,
    clientId: request.clientId ?? previous?.clientId,
    clientMode: request.clientMode ?? previous?.clientMode,
    remoteIp: request.remoteIp ?? previous?.remoteIp,
    approvedVia: options.via,
    tokens,
    createdAtMs: previous?.createdAtMs ?? options.now,
    approvedAtMs: options.now,
    lastSeenAtMs: previous?.lastSeenAtMs,
  };
  draft.paired[device.deviceId] = device;
  delete draft.pending[request.requestId];
  delete draft.rejected[device.deviceId];
  if (draft.removed) delete draft.removed[device.deviceId];
  const audit: AuditEntry = {
    ts: options.now,
    action: 'pair.approved',
    deviceId: device.deviceId,
    requestId: request.requestId,
    role: request.role,
    approvedVia: options.via,
    detail: { reason: request.reason, ...(without.length > 0 && { without: [...without] }) },
  };
  return { device, audit };
}

type Surface = Pick<PairedDevice, 'declaredCommands' | 'approvedCommands' | 'caps'>;

function nodeSurface(request: PendingRequest, without: readonly string[]): Surface {
  const declaredCommands = sortedUnique(request.commands);
  return { declaredCommands, approvedCommands: declaredCommands.filter((command) => !without.includes(command)), caps: sortedUnique(request.caps) };
}

function keptSurface(previous: PairedDevice | undefined): Surface {
  return { declaredCommands: previous?.declaredCommands ?? [], approvedCommands: previous?.approvedCommands ?? [], caps: previous?.caps ?? [] };
}

/**
 * The `pair.requested` audit line of a request, stamped with the time it was made. A durable request
 * gets it when created; an unknown device's (held in memory) only once it is approved or rejected, so a
 * flood of fresh keys writes no audit lines.
 */
export function requestAuditEntry(request: PendingRequest): AuditEntry {
  return {
    ts: request.ts,
    action: 'pair.requested',
    deviceId: request.deviceId,
    requestId: request.requestId,
    role: request.role,
    detail: { reason: request.reason, ...(request.remoteIp !== undefined && { remoteIp: request.remoteIp }) },
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = sortedUnique(a);
  const right = sortedUnique(b);
  return left.length === right.length && left.every((value, i) => value === right[i]);
}
