/**
 * `exec.approval.*`: a node asks (role node) and waits for the answer in the response; operators
 * with operator.approvals list and answer. The registry holds the approvals; this file checks who
 * may ask and shapes the answers.
 */
import {
  DetailCode,
  ErrorCode,
  ExecApprovalListParamsSchema,
  ExecApprovalRequestParamsSchema,
  ExecApprovalResolveParamsSchema,
  GatewayError,
  type ExecApprovalListResult,
  type ExecApprovalRequestResult,
  type ExecApprovalResolveResult,
} from '@tether/protocol';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';

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
    handler: ({ gateway }, { id, decision }): ExecApprovalResolveResult => gateway.execApprovals.resolve(id, decision),
  }),
];
