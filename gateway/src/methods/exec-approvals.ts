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
 * Who answered, for the history: the client's own name and id (as it gave them at connect, so shown as
 * text from that client), and what it proved: its device id, or the shared token.
 */
export function decidedByOf(session: ConnectionSession): string {
  const proof = [session.clientId.slice(0, 64), ...(session.deviceId ? [`device ${session.deviceId.slice(0, 12)}`] : []), ...(session.ownerToken ? ['shared token'] : [])];
  return `${(session.displayName ?? session.clientId).slice(0, 64)} (${proof.join(', ')})`;
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
      const displayName = node.displayName ?? gateway.store.getPaired(nodeId)?.displayName;
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
    handler: ({ gateway, session }, { id, decision }): ExecApprovalResolveResult => gateway.execApprovals.resolve(id, decision, decidedByOf(session)),
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
