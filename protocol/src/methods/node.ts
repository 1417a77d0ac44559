/** `node.*` methods and the events that carry invokes to nodes. */
import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 256 });

// Open: OpenClaw clients may add filters we do not use; `{}` is what they send today.
export const NodeListParamsSchema = Type.Object({}, { additionalProperties: true, $id: 'NodeListParams' });

export const NodeDescribeParamsSchema = Type.Object({ nodeId: Id }, { additionalProperties: false, $id: 'NodeDescribeParams' });
export type NodeDescribeParams = Static<typeof NodeDescribeParamsSchema>;

export const NodeInvokeParamsSchema = Type.Object(
  {
    nodeId: Id,
    command: Type.String({ minLength: 1, maxLength: 128 }),
    params: Type.Optional(Type.Unknown()),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    idempotencyKey: Type.String({ minLength: 1, maxLength: 256 }),
    sessionKey: Type.Optional(Type.String()),
    turnSourceChannel: Type.Optional(Type.String()),
    turnSourceTo: Type.Optional(Type.String()),
    turnSourceAccountId: Type.Optional(Type.String()),
    turnSourceThreadId: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  },
  { additionalProperties: false, $id: 'NodeInvokeParams' },
);
export type NodeInvokeParams = Static<typeof NodeInvokeParamsSchema>;

export const NodeInvokeResultSchema = Type.Object(
  {
    ok: Type.Literal(true),
    nodeId: Type.String(),
    command: Type.String(),
    payload: Type.Unknown(),
    payloadJSON: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false, $id: 'NodeInvokeResult' },
);
export type NodeInvokeResult = Static<typeof NodeInvokeResultSchema>;

export const NodeErrorSchema = Type.Object(
  { code: Type.Optional(Type.String()), message: Type.Optional(Type.String()) },
  { additionalProperties: true },
);

export const NodeInvokeResultParamsSchema = Type.Object(
  {
    id: Id,
    nodeId: Id,
    ok: Type.Boolean(),
    payload: Type.Optional(Type.Unknown()),
    payloadJSON: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    error: Type.Optional(Type.Union([NodeErrorSchema, Type.Null()])),
  },
  { additionalProperties: false, $id: 'NodeInvokeResultParams' },
);
export type NodeInvokeResultParams = Static<typeof NodeInvokeResultParamsSchema>;

export const NodeEventParamsSchema = Type.Object(
  {
    event: Type.String({ minLength: 1, maxLength: 128 }),
    payload: Type.Optional(Type.Unknown()),
    payloadJSON: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false, $id: 'NodeEventParams' },
);
export type NodeEventParams = Static<typeof NodeEventParamsSchema>;

export const NodeInvokeRequestEventSchema = Type.Object(
  {
    id: Id,
    nodeId: Id,
    command: Type.String({ minLength: 1 }),
    paramsJSON: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    params: Type.Optional(Type.Unknown()),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 0 })),
    idempotencyKey: Type.Optional(Type.String()),
    sessionKey: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: 'NodeInvokeRequestEvent' },
);
export type NodeInvokeRequestEvent = Static<typeof NodeInvokeRequestEventSchema>;

export const NodeInvokeCancelEventSchema = Type.Object(
  { invokeId: Id, nodeId: Id },
  { additionalProperties: true, $id: 'NodeInvokeCancelEvent' },
);
export type NodeInvokeCancelEvent = Static<typeof NodeInvokeCancelEventSchema>;

export const ApprovalStateSchema = Type.Union([
  Type.Literal('approved'),
  Type.Literal('pending-approval'),
  Type.Literal('pending-reapproval'),
  Type.Literal('unapproved'),
]);

export const NodeInfoSchema = Type.Object(
  {
    nodeId: Type.String(),
    paired: Type.Boolean(),
    connected: Type.Boolean(),
    displayName: Type.Optional(Type.String()),
    platform: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    clientId: Type.Optional(Type.String()),
    clientMode: Type.Optional(Type.String()),
    deviceFamily: Type.Optional(Type.String()),
    remoteIp: Type.Optional(Type.String()),
    pathEnv: Type.Optional(Type.String()),
    caps: Type.Array(Type.String()),
    commands: Type.Array(Type.String()),
    declaredCommands: Type.Optional(Type.Array(Type.String())),
    permissions: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    approvalState: ApprovalStateSchema,
    pendingRequestId: Type.Optional(Type.String()),
    connectedAtMs: Type.Optional(Type.Integer()),
    lastConnectedAtMs: Type.Optional(Type.Integer()),
    lastDisconnectedAtMs: Type.Optional(Type.Integer()),
    lastSeenAtMs: Type.Optional(Type.Integer()),
    approvedAtMs: Type.Optional(Type.Integer()),
  },
  { additionalProperties: true, $id: 'NodeInfo' },
);
export type NodeInfo = Static<typeof NodeInfoSchema>;

export const NodeListResultSchema = Type.Object(
  { ts: Type.Integer(), nodes: Type.Array(NodeInfoSchema) },
  { additionalProperties: true, $id: 'NodeListResult' },
);
export type NodeListResult = Static<typeof NodeListResultSchema>;

export const NodePairResolvedEventSchema = Type.Object(
  {
    requestId: Type.String(),
    nodeId: Type.String(),
    decision: Type.Union([Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('removed')]),
    ts: Type.Integer(),
  },
  { additionalProperties: true, $id: 'NodePairResolvedEvent' },
);
export type NodePairResolvedEvent = Static<typeof NodePairResolvedEventSchema>;
