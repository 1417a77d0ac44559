/** `device.pair.*` and `device.token.*`: the operator's side of pairing. One approval admits a device and its command surface. */
import {
  CloseCode,
  DetailCode,
  DevicePairApproveParamsSchema,
  DevicePairListParamsSchema,
  DevicePairRejectParamsSchema,
  DevicePairRemoveParamsSchema,
  DeviceTokenRevokeParamsSchema,
  DeviceTokenRotateParamsSchema,
  ErrorCode,
  GatewayError,
  type DevicePairListResult,
} from '@tether/protocol';
import { PairingStoreError, toPairedInfo, toPendingInfo, verificationCode, type PendingRequest } from '@tether/pairing';
import { defineMethod, type MethodDefinition } from '../method-registry.js';
import type { GatewayContext } from '../context.js';

const STORE_ERROR_CODES: Record<string, string> = {
  UNKNOWN_REQUEST_ID: DetailCode.UNKNOWN_REQUEST_ID,
  UNKNOWN_DEVICE: DetailCode.UNKNOWN_DEVICE,
  AMBIGUOUS_DEVICE: DetailCode.UNKNOWN_DEVICE,
  UNKNOWN_ROLE: DetailCode.INVALID_PARAMS,
};

/** Store errors become INVALID_REQUEST with a stable details.code; the message already says what to do. */
async function callStore<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof PairingStoreError && STORE_ERROR_CODES[error.code]) {
      throw new GatewayError({ code: ErrorCode.INVALID_REQUEST, message: error.message, details: { code: STORE_ERROR_CODES[error.code] } });
    }
    throw error;
  }
}

export function pendingInfo(gateway: GatewayContext, request: PendingRequest) {
  return toPendingInfo(request, verificationCode(gateway.identity.publicKey, request.publicKey));
}

function isConnected(gateway: GatewayContext, deviceId: string): boolean {
  return gateway.connectionsOf(deviceId).length > 0;
}

export const deviceMethods: MethodDefinition<any>[] = [
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
    handler: async ({ gateway }, { requestId, without }) => {
      const { request, device } = await callStore(() => gateway.store.approve(requestId, { without, via: 'owner' }));
      const ts = Date.now();
      gateway.log.info(`approved ${device.displayName ?? device.deviceId.slice(0, 12)} (${request.role}, request ${requestId})`);
      gateway.broadcaster.broadcast('device.pair.resolved', { requestId, deviceId: device.deviceId, decision: 'approved', ts }, { scope: 'operator.pairing' });
      // A connected node whose surface upgrade was approved gains the commands at once.
      const session = gateway.registry.get(device.deviceId);
      if (session) {
        session.approvedCommands = new Set(device.approvedCommands);
        session.connection.sendEvent('node.pair.resolved', { requestId, nodeId: device.deviceId, decision: 'approved', ts });
      }
      return { requestId, device: toPairedInfo(device, isConnected(gateway, device.deviceId)) };
    },
  }),
  defineMethod({
    method: 'device.pair.reject',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DevicePairRejectParamsSchema,
    handler: async ({ gateway }, { requestId }) => {
      const request = await callStore(() => gateway.store.reject(requestId));
      gateway.broadcaster.broadcast(
        'device.pair.resolved',
        { requestId, deviceId: request.deviceId, decision: 'rejected', ts: Date.now() },
        { scope: 'operator.pairing' },
      );
      return pendingInfo(gateway, request);
    },
  }),
  defineMethod({
    method: 'device.pair.remove',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DevicePairRemoveParamsSchema,
    handler: async ({ gateway }, { deviceId }) => {
      const device = await callStore(() => gateway.store.remove(deviceId));
      const closed = gateway.disconnectDevice(deviceId, CloseCode.CLIENT_INVALIDATED, 'client invalidated: device removed');
      gateway.broadcaster.broadcast('node.pair.resolved', { requestId: '', nodeId: deviceId, decision: 'removed', ts: Date.now() }, { scope: 'operator.pairing' });
      return { ...toPairedInfo(device, false), disconnected: closed };
    },
  }),
  defineMethod({
    method: 'device.token.rotate',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DeviceTokenRotateParamsSchema,
    handler: async ({ gateway }, { deviceId, role, scopes }) => {
      const { token, record } = await callStore(() => gateway.store.rotateToken(deviceId, role, scopes));
      return { deviceId, role, scopes: record.scopes, rotatedAtMs: record.rotatedAtMs ?? record.createdAtMs, token, tokenDelivery: 'in-band' };
    },
  }),
  defineMethod({
    method: 'device.token.revoke',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DeviceTokenRevokeParamsSchema,
    handler: async ({ gateway }, { deviceId, role }) => {
      const record = await callStore(() => gateway.store.revokeToken(deviceId, role));
      const closed = gateway.disconnectDevice(deviceId, CloseCode.CLIENT_INVALIDATED, 'client invalidated: device token revoked', role);
      return { deviceId, role, revokedAtMs: record.revokedAtMs, disconnected: closed };
    },
  }),
];
