/** `device.pair.*` and `device.token.*`: the operator's side of pairing. One approval admits a device and its command surface. */
import {
  CloseCode,
  DetailCode,
  DevicePairApproveParamsSchema,
  DevicePairListParamsSchema,
  DevicePairRejectParamsSchema,
  DevicePairRemoveParamsSchema,
  DeviceRenameParamsSchema,
  DeviceTokenRevokeParamsSchema,
  DeviceTokenRotateParamsSchema,
  ErrorCode,
  GatewayError,
  checkDisplayName,
  safeLabel,
  type DevicePairListResult,
} from '@tether/protocol';
import { PairingStoreError, toPairedInfo, toPendingInfo, verificationCode, type PendingRequest } from '@tether/pairing';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';
import type { ConnectionSession } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { missingApproveScopes, requiredApproveScopes } from '../nodes/approval-scopes.js';
import { deviceSetupMethods } from './device-setup.js';

/** How each store error reaches the caller: the request was wrong, or the store could not act now. */
const STORE_ERRORS: Record<string, { code: ErrorCode; detail: string; retryable?: boolean }> = {
  UNKNOWN_REQUEST_ID: { code: ErrorCode.INVALID_REQUEST, detail: DetailCode.UNKNOWN_REQUEST_ID },
  UNKNOWN_DEVICE: { code: ErrorCode.INVALID_REQUEST, detail: DetailCode.UNKNOWN_DEVICE },
  AMBIGUOUS_DEVICE: { code: ErrorCode.INVALID_REQUEST, detail: DetailCode.UNKNOWN_DEVICE },
  UNKNOWN_ROLE: { code: ErrorCode.INVALID_REQUEST, detail: DetailCode.INVALID_PARAMS },
  INVALID_GRANT: { code: ErrorCode.INVALID_REQUEST, detail: DetailCode.INVALID_PARAMS },
  STORE_UNWRITABLE: { code: ErrorCode.UNAVAILABLE, detail: DetailCode.STORE_UNAVAILABLE, retryable: true },
  STORE_CORRUPT: { code: ErrorCode.UNAVAILABLE, detail: DetailCode.STORE_UNAVAILABLE },
};

/** Store errors keep their message (it already says what to do) and gain a wire code. */
export async function callStore<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const mapped = error instanceof PairingStoreError ? STORE_ERRORS[error.code] : undefined;
    if (mapped) {
      throw new GatewayError({ code: mapped.code, message: (error as Error).message, details: { code: mapped.detail }, retryable: mapped.retryable });
    }
    throw error;
  }
}

export function pendingInfo(gateway: GatewayContext, request: PendingRequest) {
  return { ...toPendingInfo(request, verificationCode(gateway.identity.publicKey, request.publicKey, gateway.tlsFingerprint)), requiredApproveScopes: requiredApproveScopes(request) };
}

/** Refuses an approval that would grant a scope the approver does not hold. */
function assertMayApprove(gateway: GatewayContext, approver: ConnectionSession, requestId: string, without: readonly string[] | undefined): void {
  const request = gateway.store.getPending(requestId);
  if (!request) return; // the store answers UNKNOWN_REQUEST_ID with its own message
  const required = requiredApproveScopes(request, without);
  const missing = approver.ownerToken ? [] : missingApproveScopes(approver.scopes, required);
  if (missing.length === 0) return;
  throw new GatewayError({
    code: ErrorCode.FORBIDDEN,
    message:
      `approving request ${requestId} needs ${required.join(', ')}; this session lacks ${missing.join(', ')}. ` +
      `Approve it from a session that holds them (the gateway host's CLI with its token does), or leave the commands that need them out with --without`,
    details: { code: DetailCode.APPROVAL_SCOPE_MISSING, missingScope: missing[0], requiredScopes: required, missingScopes: missing },
  });
}

/**
 * Removing a device or revoking its token takes away what it holds, so it needs what that device
 * holds: a pairing-only phone must not be able to disconnect the owner's admin devices. A device may
 * always act on itself; the owner on anything.
 */
function assertMayManage(gateway: GatewayContext, approver: ConnectionSession, deviceId: string): void {
  if (approver.ownerToken || approver.deviceId === deviceId) return;
  const target = gateway.store.getPaired(deviceId);
  if (!target) return; // the store answers UNKNOWN_DEVICE with its own message
  const missing = missingApproveScopes(approver.scopes, target.scopes);
  if (missing.length === 0) return;
  throw new GatewayError({
    code: ErrorCode.FORBIDDEN,
    message: `device ${deviceId} holds ${target.scopes.join(', ')}; removing it or revoking its token needs those scopes too, and this session lacks ${missing.join(', ')}`,
    details: { code: DetailCode.MISSING_SCOPE, missingScope: missing[0], requiredScopes: [...target.scopes], missingScopes: missing },
  });
}

/** A rotated token is a working credential: only an admin, or the device itself, may receive one. */
function assertMayRotate(approver: ConnectionSession, deviceId: string): void {
  if (approver.ownerToken || approver.scopes.has('operator.admin') || approver.deviceId === deviceId) return;
  throw new GatewayError({
    code: ErrorCode.FORBIDDEN,
    message: `rotating the token of another device (${deviceId}) needs operator.admin; without it a device may rotate only its own token`,
    details: { code: DetailCode.MISSING_SCOPE, missingScope: 'operator.admin', requiredScopes: ['operator.admin'] },
  });
}

function isConnected(gateway: GatewayContext, deviceId: string): boolean {
  return gateway.connectionsOf(deviceId).length > 0;
}

/** Approves a request (device, role and command surface at once) and tells everyone who needs to know. */
export async function approveRequest(gateway: GatewayContext, approver: ConnectionSession, requestId: string, without: string[] | undefined) {
  assertMayApprove(gateway, approver, requestId, without);
  const result = await callStore(() => gateway.store.approve(requestId, { without, via: 'owner' }));
  const { request, device } = result;
  const ts = Date.now();
  gateway.log.info(`approved ${safeLabel(device.displayName, 64, device.deviceId.slice(0, 12))} (${request.role}, request ${requestId})`);
  gateway.broadcaster.broadcast('device.pair.resolved', { requestId, deviceId: device.deviceId, decision: 'approved', ts }, { scope: 'operator.pairing' });
  // A connected node (held while pending, or asking for more commands) gains them at once.
  gateway.waitingRoom.release(gateway, device.deviceId, device.approvedCommands);
  gateway.registry.get(device.deviceId)?.connection.sendEvent('node.pair.resolved', { requestId, nodeId: device.deviceId, decision: 'approved', ts });
  return result;
}

export async function rejectRequest(gateway: GatewayContext, requestId: string): Promise<PendingRequest> {
  const request = await callStore(() => gateway.store.reject(requestId));
  // A node held connected while it waited is turned away now.
  if (!gateway.store.getPaired(request.deviceId)) gateway.disconnectDevice(request.deviceId, CloseCode.POLICY_VIOLATION, 'pairing rejected');
  gateway.broadcaster.broadcast('device.pair.resolved', { requestId, deviceId: request.deviceId, decision: 'rejected', ts: Date.now() }, { scope: 'operator.pairing' });
  return request;
}

export async function removeDevice(gateway: GatewayContext, approver: ConnectionSession, deviceId: string) {
  assertMayManage(gateway, approver, deviceId);
  const device = await callStore(() => gateway.store.remove(deviceId));
  const closed = gateway.disconnectDevice(deviceId, CloseCode.CLIENT_INVALIDATED, 'client invalidated: device removed');
  gateway.broadcaster.broadcast('node.pair.resolved', { requestId: '', nodeId: deviceId, decision: 'removed', ts: Date.now() }, { scope: 'operator.pairing' });
  return { device, closed };
}

/**
 * The owner's name for a device, checked here at the edge (trimmed; no control or format characters;
 * at most 64 characters). It needs what the device holds, like removing it: renaming the owner's admin
 * laptop to "old phone" is a way to get it removed by mistake.
 */
/**
 * A node's name is part of policy: `agent.allowNodes`/`denyNodes` and approval prompts know nodes by
 * it. Renaming one therefore needs operator.admin (or the owner's token), not only operator.pairing:
 * otherwise a pairing-only phone could rename a denied node past the agent's deny list.
 */
function assertMayRenameNode(gateway: GatewayContext, approver: ConnectionSession, deviceId: string): void {
  if (approver.ownerToken || approver.scopes.has('operator.admin')) return;
  if (!gateway.store.getPaired(deviceId)?.roles.includes('node')) return;
  throw new GatewayError({
    code: ErrorCode.FORBIDDEN,
    message: `renaming a node needs operator.admin: the agent's allowNodes/denyNodes and approval prompts know nodes by name (nothing was changed)`,
    details: { code: DetailCode.MISSING_SCOPE, missingScope: 'operator.admin', requiredScopes: ['operator.admin'] },
  });
}

export async function renameDevice(gateway: GatewayContext, approver: ConnectionSession, deviceId: string, displayName: string) {
  const checked = checkDisplayName(displayName);
  if (!checked.ok) {
    throw new GatewayError({ code: ErrorCode.INVALID_REQUEST, message: `${checked.message} (nothing was changed)`, details: { code: DetailCode.INVALID_PARAMS, reason: checked.reason } });
  }
  assertMayManage(gateway, approver, deviceId);
  assertMayRenameNode(gateway, approver, deviceId);
  const taken = gateway.store.listPaired().find((other) => other.deviceId !== deviceId && other.displayName?.trim().toLowerCase() === checked.name.toLowerCase());
  if (taken) {
    throw new GatewayError({
      code: ErrorCode.INVALID_REQUEST,
      message: `device ${taken.deviceId.slice(0, 12)} is named ${safeLabel(taken.displayName)} already; names are how people, approval prompts and the agent tell devices apart, so choose another (nothing was changed)`,
      details: { code: DetailCode.INVALID_PARAMS, reason: 'DISPLAY_NAME_TAKEN' },
    });
  }
  const { device, previous } = await callStore(() => gateway.store.rename(deviceId, checked.name));
  gateway.log.info(`renamed ${device.deviceId.slice(0, 12)} from ${safeLabel(previous)} to ${safeLabel(checked.name)}`);
  // Node lists and the agent's tools read the stored name: a presence change tells pages and the agent.
  gateway.presence.changed();
  return toPairedInfo(device, isConnected(gateway, deviceId));
}

export const deviceMethods: RegisteredMethod[] = [
  defineMethod({
    method: 'device.pair.list',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DevicePairListParamsSchema,
    handler: ({ gateway }): DevicePairListResult => ({
      pending: gateway.store.listPending().map((request) => pendingInfo(gateway, request)),
      paired: gateway.store.listPaired().map((device) => toPairedInfo(device, isConnected(gateway, device.deviceId))),
    }),
  }),
  defineMethod({
    method: 'device.pair.approve',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DevicePairApproveParamsSchema,
    handler: async ({ gateway, session }, { requestId, without }) => {
      const { device } = await approveRequest(gateway, session, requestId, without);
      return { requestId, device: toPairedInfo(device, isConnected(gateway, device.deviceId)) };
    },
  }),
  defineMethod({
    method: 'device.pair.reject',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DevicePairRejectParamsSchema,
    handler: async ({ gateway }, { requestId }) => pendingInfo(gateway, await rejectRequest(gateway, requestId)),
  }),
  defineMethod({
    method: 'device.pair.remove',
    roles: ['operator'],
    // A device may always unpair itself (the Control UI's Log out), whatever scopes it holds.
    scope: ({ deviceId }, session) => (session.deviceId !== undefined && session.deviceId === deviceId ? undefined : 'operator.pairing'),
    params: DevicePairRemoveParamsSchema,
    handler: async ({ gateway, session }, { deviceId }) => {
      const { device, closed } = await removeDevice(gateway, session, deviceId);
      return { ...toPairedInfo(device, false), disconnected: closed };
    },
  }),
  defineMethod({
    method: 'device.rename',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DeviceRenameParamsSchema,
    handler: async ({ gateway, session }, { deviceId, displayName }) => renameDevice(gateway, session, deviceId, displayName),
  }),
  defineMethod({
    method: 'device.token.rotate',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DeviceTokenRotateParamsSchema,
    handler: async ({ gateway, session }, { deviceId, role, scopes }) => {
      assertMayRotate(session, deviceId);
      const { token, record } = await callStore(() => gateway.store.rotateToken(deviceId, role, scopes));
      return { deviceId, role, scopes: record.scopes, rotatedAtMs: record.rotatedAtMs ?? record.createdAtMs, token, tokenDelivery: 'in-band' };
    },
  }),
  defineMethod({
    method: 'device.token.revoke',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DeviceTokenRevokeParamsSchema,
    handler: async ({ gateway, session }, { deviceId, role }) => {
      assertMayManage(gateway, session, deviceId);
      const record = await callStore(() => gateway.store.revokeToken(deviceId, role));
      const closed = gateway.disconnectDevice(deviceId, CloseCode.CLIENT_INVALIDATED, 'client invalidated: device token revoked', role);
      return { deviceId, role, revokedAtMs: record.revokedAtMs, disconnected: closed };
    },
  }),
  // Setup codes (device.setup.*): registered with the rest of the pairing methods.
  ...deviceSetupMethods,
];
