/**
 * `exec.approval.*`: a node asks (role node) and waits for the answer in the response; operators
 * with operator.approvals list and answer. The registry holds the approvals; this file checks who
 * may ask and shapes the answers.
 */
import {
  DetailCode,
  ErrorCode,
  EXEC_APPROVAL_HISTORY_LIMIT,
  ExecApprovalHistoryParamsSchema,
  ExecApprovalListParamsSchema,
  ExecApprovalRequestParamsSchema,
  ExecApprovalResolveParamsSchema,
  GatewayError,
  type ExecApprovalHistoryResult,
  type ExecApprovalListResult,
  type ExecApprovalRequestResult,
  type ExecApprovalResolveResult,
} from '@tether/protocol';
import type { ConnectionSession } from '../connection.js';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';

/**
 * Who answered, for the history: what it proved first (its device id, or the shared token), then the
 * name: the owner's stored name for a paired device, else the client's own (as it gave it at connect,
 * so text from that client, quoted). Proof first, so a self-declared name can neither fake it nor push
 * it out of a cut table cell.
 */
export function decidedByOf(session: ConnectionSession, storedName?: string): string {
  const proof = [...(session.deviceId ? [`device ${session.deviceId.slice(0, 12)}`] : []), ...(session.ownerToken ? ['shared token'] : [])].join(', ') || 'unauthenticated';
  const name = storedName ?? session.displayName ?? session.clientId;
  return `${proof} · ${JSON.stringify(name.slice(0, 64))} via ${session.clientId.slice(0, 64)}`;
}

export const execApprovalMethods: RegisteredMethod[] = [
  defineMethod({
    method: 'exec.approval.request',
    roles: ['node'],
    params: ExecApprovalRequestParamsSchema,
    handler: ({ gateway, connection, session }, params): Promise<ExecApprovalRequestResult> => {
      const nodeId = session.deviceId;
      const node = nodeId ? gateway.registry.get(nodeId) : undefined;
      // Only the node's live connection, with system.run approved, may put a question to operators.
      if (!nodeId || node?.connection !== connection) {
        throw new GatewayError({ code: ErrorCode.INVALID_REQUEST, message: 'exec.approval.request: this connection is not a registered node', details: { code: DetailCode.NOT_CONNECTED } });
      }
      if (!node.approvedCommands.has(params.command)) {
        throw new GatewayError({
          code: ErrorCode.INVALID_REQUEST,
          message: `exec.approval.request: ${params.command} is not in this node's approved commands; approve the node's command surface first (tether devices approve)`,
          details: { code: DetailCode.COMMAND_NOT_ALLOWED, command: params.command },
        });
      }
      // The owner's name (device.rename) over the one the node declared when it connected.
      const displayName = gateway.store.getPaired(nodeId)?.displayName ?? node.displayName;
      const { decision } = gateway.execApprovals.request({ nodeId, ...(displayName ? { displayName } : {}), owner: connection, params });
      return decision;
    },
  }),
  defineMethod({
    method: 'exec.approval.list',
    roles: ['operator'],
    scope: 'operator.approvals',
    params: ExecApprovalListParamsSchema,
    handler: ({ gateway }): ExecApprovalListResult => ({ approvals: gateway.execApprovals.list() }),
  }),
  defineMethod({
    method: 'exec.approval.resolve',
    roles: ['operator'],
    scope: 'operator.approvals',
    params: ExecApprovalResolveParamsSchema,
    handler: ({ gateway, session }, { id, decision }): ExecApprovalResolveResult => gateway.execApprovals.resolve(id, decision, decidedByOf(session, session.deviceId ? gateway.store.getPaired(session.deviceId)?.displayName : undefined)),
  }),
  defineMethod({
    method: 'exec.approval.history',
    roles: ['operator'],
    scope: 'operator.approvals',
    params: ExecApprovalHistoryParamsSchema,
    handler: ({ gateway }, params): ExecApprovalHistoryResult => ({
      entries: gateway.execApprovals.history(params.limit ?? EXEC_APPROVAL_HISTORY_LIMIT),
      limit: EXEC_APPROVAL_HISTORY_LIMIT,
    }),
  }),
];
