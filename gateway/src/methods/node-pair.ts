/**
 * OpenClaw's `node.pair.*` methods, served from the same approval record as `device.pair.*`: in Tether
 * one request id approves the device and its command surface, so OpenClaw's `nodes pending/approve`
 * and `devices approve` both work with the id the node printed.
 */
import { Type } from '@sinclair/typebox';
import type { PairedDevice, PendingRequest } from '@tether/pairing';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';
import type { GatewayContext } from '../context.js';
import { approveRequest, rejectRequest, removeDevice } from './device.js';
import { requiredApproveScopes } from '../nodes/approval-scopes.js';

const RequestIdParams = Type.Object({ requestId: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const NodeIdParams = Type.Object({ nodeId: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const AnyParams = Type.Object({}, { additionalProperties: true });

function pendingNode(request: PendingRequest): Record<string, unknown> {
  return {
    requestId: request.requestId,
    nodeId: request.deviceId,
    clientId: request.clientId,
    clientMode: request.clientMode,
    displayName: request.displayName,
    platform: request.platform,
    deviceFamily: request.deviceFamily,
    caps: request.caps,
    commands: request.commands,
    requiredApproveScopes: requiredApproveScopes(request),
    remoteIp: request.remoteIp,
    silent: request.silent,
    isRepair: request.isRepair,
    ts: request.ts,
  };
}

function pairedNode(gateway: GatewayContext, device: PairedDevice): Record<string, unknown> {
  return {
    nodeId: device.deviceId,
    displayName: device.displayName,
    platform: device.platform,
    deviceFamily: device.deviceFamily,
    clientId: device.clientId,
    clientMode: device.clientMode,
    remoteIp: device.remoteIp,
    caps: device.caps,
    commands: device.approvedCommands,
    createdAtMs: device.createdAtMs,
    approvedAtMs: device.approvedAtMs,
    lastSeenAtMs: device.lastSeenAtMs,
    connected: gateway.registry.get(device.deviceId) !== undefined,
  };
}

export const nodePairMethods: RegisteredMethod[] = [
  defineMethod({
    method: 'node.pair.list',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: AnyParams,
    handler: ({ gateway }) => ({
      pending: gateway.store.listPending().filter((r) => r.role === 'node').map(pendingNode),
      paired: gateway.store.listPaired().filter((d) => d.roles.includes('node')).map((d) => pairedNode(gateway, d)),
    }),
  }),
  defineMethod({
    method: 'node.pair.approve',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: RequestIdParams,
    handler: async ({ gateway, session }, { requestId }) => {
      const { device } = await approveRequest(gateway, session, requestId, undefined);
      return { requestId, node: pairedNode(gateway, device) };
    },
  }),
  defineMethod({
    method: 'node.pair.reject',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: RequestIdParams,
    handler: async ({ gateway }, { requestId }) => {
      const request = await rejectRequest(gateway, requestId);
      return { requestId, nodeId: request.deviceId, decision: 'rejected' };
    },
  }),
  defineMethod({
    method: 'node.pair.remove',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: NodeIdParams,
    handler: async ({ gateway, session }, { nodeId }) => {
      const { device } = await removeDevice(gateway, session, nodeId);
      return { nodeId: device.deviceId, removed: true };
    },
  }),
];
