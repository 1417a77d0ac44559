/** `node.*` methods: listing, describing and invoking nodes, and the node's side of an invoke. */
import { createHash } from 'node:crypto';
import {
  DetailCode,
  ErrorCode,
  GatewayError,
  NodeDescribeParamsSchema,
  NodeEventParamsSchema,
  NodeInvokeParamsSchema,
  NodeInvokeResultParamsSchema,
  NodeListParamsSchema,
  type NodeInfo,
  type NodeInvokeParams,
  type NodeInvokeResult,
} from '@tether/protocol';
import type { PairedDevice } from '@tether/pairing';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';
import type { GatewayContext } from '../context.js';
import { checkCommandPolicy } from '../nodes/command-policy.js';
import { checkNodeCommand, effectiveCommands } from '../nodes/policy.js';
import type { NodeSession } from '../nodes/registry.js';

function describeNode(gateway: GatewayContext, nodeId: string, device: PairedDevice | undefined, session: NodeSession | undefined): NodeInfo {
  const pending = gateway.store.pendingForDevice(nodeId);
  const info: NodeInfo = {
    nodeId,
    paired: device !== undefined,
    connected: session !== undefined,
    caps: [...(session?.caps ?? device?.caps ?? [])].sort(),
    commands: session
      ? effectiveCommands(session, gateway.config)
      : (device?.approvedCommands ?? []).filter((c) => checkCommandPolicy(gateway.config, c, device?.platform, device?.deviceFamily).allowed).sort(),
    approvalState: device ? (pending ? 'pending-reapproval' : 'approved') : pending ? 'pending-approval' : 'unapproved',
  };
  // The live session knows best; the paired record remembers a node that is offline. The name is the
  // exception: a paired node is known by the name the owner approved, whatever it calls itself now.
  for (const key of ['platform', 'deviceFamily', 'clientId', 'clientMode', 'remoteIp'] as const) {
    const value = session?.[key] ?? device?.[key];
    if (value) info[key] = value;
  }
  const displayName = device ? (device.displayName ?? session?.displayName) : session?.displayName;
  if (displayName) info.displayName = displayName;
  if (session?.version) info.version = session.version;
  if (session?.pathEnv) info.pathEnv = session.pathEnv;
  if (session?.permissions) info.permissions = session.permissions;
  if (session) {
    info.declaredCommands = [...session.declaredCommands].sort();
    info.connectedAtMs = session.connectedAtMs;
    info.lastConnectedAtMs = session.connectedAtMs;
  }
  if (pending) info.pendingRequestId = pending.requestId;
  const disconnectedAt = gateway.registry.lastDisconnectedAtMs(nodeId);
  if (disconnectedAt !== undefined) info.lastDisconnectedAtMs = disconnectedAt;
  const lastSeen = session ? Date.now() : device?.lastSeenAtMs;
  if (lastSeen !== undefined) info.lastSeenAtMs = lastSeen;
  if (device) info.approvedAtMs = device.approvedAtMs;
  return info;
}

/** Paired nodes plus connected ones (a connected node is always paired, but listing both is cheap insurance). */
export function listNodes(gateway: GatewayContext): NodeInfo[] {
  const ids = new Set<string>();
  for (const device of gateway.store.listPaired()) if (device.roles.includes('node')) ids.add(device.deviceId);
  for (const session of gateway.registry.connected()) ids.add(session.nodeId);
  return [...ids].map((id) => describeNode(gateway, id, gateway.store.getPaired(id), gateway.registry.get(id)));
}

/**
 * A reused idempotency key replays the first outcome only for the same node, command and params: a key
 * reused by mistake, or by another operator, for a different command must run that command, not hand
 * back someone else's output.
 */
function idempotencyScope(params: { nodeId: string; command: string; params?: unknown; idempotencyKey: string }): string {
  const text = JSON.stringify(params.params ?? {});
  // Small params (nearly all) are part of the key as they are: a SHA-256 per invoke cost ~8 % of the
  // 16-in-flight invoke rate (native hash objects and their GC). Large ones are hashed, so the cache
  // (1,000 keys) never holds megabytes of argv.
  const paramsPart = text.length <= INLINE_PARAMS_KEY_CHARS ? text : `sha256:${createHash('sha256').update(text).digest('hex')}`;
  return [params.nodeId, params.command, params.idempotencyKey, paramsPart].join('\0');
}

const INLINE_PARAMS_KEY_CHARS = 512;

/**
 * One invoke on a paired, connected node under the gateway's command policy: the path an operator's
 * `node.invoke` takes, and the only path the embedded agent's tools take.
 */
export async function invokeNode(gateway: GatewayContext, params: NodeInvokeParams): Promise<NodeInvokeResult> {
  const session = gateway.registry.get(params.nodeId);
  if (!session) {
    const known = gateway.store.getPaired(params.nodeId)?.roles.includes('node');
    if (!known) {
      throw new GatewayError({
        code: ErrorCode.INVALID_REQUEST,
        message: `unknown nodeId ${params.nodeId}; list nodes with \`tether nodes list\``,
        details: { code: DetailCode.UNKNOWN_NODE, nodeId: params.nodeId },
      });
    }
    throw new GatewayError({
      code: ErrorCode.UNAVAILABLE,
      message: 'node not connected',
      details: { code: DetailCode.NOT_CONNECTED, nodeError: { code: 'NOT_CONNECTED', message: 'node not connected' }, nodeCommandDispatched: false },
      retryable: true,
    });
  }
  if (!gateway.store.getPaired(params.nodeId)?.roles.includes('node')) {
    // A socket held while its pairing waits is a stranger that merely calls itself a name: never
    // run anything there, and never suggest approving it as if it were the node the caller meant.
    throw new GatewayError({
      code: ErrorCode.INVALID_REQUEST,
      message:
        `node ${params.nodeId.slice(0, 12)} is not paired: it is a device waiting for approval, not a node anyone approved. ` +
        'Compare its verification code in `tether devices list` with the one the device shows before approving it',
      details: { code: DetailCode.UNKNOWN_NODE, nodeId: params.nodeId, paired: false },
    });
  }
  const decision = checkNodeCommand(session, params.command, gateway.config);
  if (!decision.allowed) {
    throw new GatewayError({
      code: ErrorCode.INVALID_REQUEST,
      message: decision.message,
      details: { code: DetailCode.COMMAND_NOT_ALLOWED, reason: decision.reason, command: params.command },
    });
  }
  const timeoutMs = params.timeoutMs || gateway.config.invokeTimeoutMs;
  const outcome = await gateway.invokeCache.run(idempotencyScope(params), () =>
    gateway.registry.invoke(session, {
      command: params.command,
      params: params.params,
      timeoutMs,
      idempotencyKey: params.idempotencyKey,
      sessionKey: params.sessionKey,
    }),
  );
  return { ok: true, nodeId: params.nodeId, command: params.command, payload: outcome.payload, payloadJSON: outcome.payloadJSON };
}

export const nodeMethods: RegisteredMethod[] = [
  defineMethod({
    method: 'node.list',
    roles: ['operator'],
    scope: 'operator.read',
    params: NodeListParamsSchema,
    handler: ({ gateway }) => ({ ts: Date.now(), nodes: listNodes(gateway) }),
  }),
  defineMethod({
    method: 'node.describe',
    roles: ['operator'],
    scope: 'operator.read',
    params: NodeDescribeParamsSchema,
    handler: ({ gateway }, { nodeId }) => {
      const device = gateway.store.getPaired(nodeId);
      const session = gateway.registry.get(nodeId);
      if (!session && !device?.roles.includes('node')) {
        throw new GatewayError({ code: ErrorCode.INVALID_REQUEST, message: 'unknown nodeId', details: { code: DetailCode.UNKNOWN_NODE, nodeId } });
      }
      return { ts: Date.now(), ...describeNode(gateway, nodeId, device, session) };
    },
  }),
  defineMethod({
    method: 'node.invoke',
    roles: ['operator'],
    scope: 'operator.write',
    params: NodeInvokeParamsSchema,
    handler: ({ gateway }, params): Promise<NodeInvokeResult> => invokeNode(gateway, params),
  }),
  defineMethod({
    method: 'node.invoke.result',
    roles: ['node'],
    params: NodeInvokeResultParamsSchema,
    handler: ({ gateway, connection, session }, params) => {
      if (params.nodeId !== session.deviceId) {
        throw new GatewayError({ code: ErrorCode.INVALID_REQUEST, message: 'nodeId mismatch', details: { code: DetailCode.NODE_ID_MISMATCH } });
      }
      return gateway.registry.complete(connection, params) ? { ok: true } : { ok: true, ignored: true };
    },
  }),
  defineMethod({
    method: 'node.event',
    roles: ['node'],
    params: NodeEventParamsSchema,
    handler: (_ctx, params) => ({ ok: true, event: params.event, handled: false, reason: 'no handler for this event' }),
  }),
];
