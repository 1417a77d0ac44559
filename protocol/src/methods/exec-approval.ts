/**
 * `exec.approval.*`: a node asks operators whether it may run one exact command line; an operator
 * answers. One approval id stands for one pending `system.run` (argv + cwd + resolved binary), and
 * it expires. Tether's own shape: the node asks (OpenClaw's agent tool asks on the node's behalf).
 */
import { Type, type Static } from '@sinclair/typebox';

/** How long an approval waits for an operator unless the node's request allows less. */
export const EXEC_APPROVAL_DEFAULT_TTL_MS = 60_000;
/** Pending approvals one node may have at a time; more are refused until operators answer. */
export const EXEC_APPROVAL_MAX_PENDING_PER_NODE = 16;

const Id = Type.String({ minLength: 1, maxLength: 256 });
const Argv = Type.Array(Type.String({ maxLength: 65536 }), { minItems: 1, maxItems: 4096 });
const AbsolutePath = Type.String({ minLength: 1, maxLength: 4096, pattern: '^/' });

// No $id: embedded in several schemas, and Ajv refuses one $id registered twice.
export const ExecApprovalDecisionSchema = Type.Union([Type.Literal('allow-once'), Type.Literal('allow-always'), Type.Literal('deny')]);
export type ExecApprovalDecision = Static<typeof ExecApprovalDecisionSchema>;

/** Why an approval ended: an operator answered, nobody did in time, or the asking node went away. */
export const ExecApprovalReasonSchema = Type.Union([Type.Literal('operator'), Type.Literal('expired'), Type.Literal('node-disconnected')]);
export type ExecApprovalReason = Static<typeof ExecApprovalReasonSchema>;

/** Node → gateway (role node). Answered only once an operator decides or the approval expires. */
export const ExecApprovalRequestParamsSchema = Type.Object(
  {
    command: Type.Literal('system.run'),
    /** Exactly what the node will run after an allow: argv[0] as written, then the arguments. */
    argv: Argv,
    /** The absolute directory it will run in. */
    cwd: Type.Optional(AbsolutePath),
    /** The realpath of the binary argv[0] resolved to; `allow-always` adds this to the allowlist. */
    resolvedPath: AbsolutePath,
    /** Upper bound on how long the node will wait; the gateway's default TTL applies when lower. */
    timeoutMs: Type.Integer({ minimum: 1, maximum: 86_400_000 }),
  },
  { additionalProperties: false, $id: 'ExecApprovalRequestParams' },
);
export type ExecApprovalRequestParams = Static<typeof ExecApprovalRequestParamsSchema>;

export const ExecApprovalRequestResultSchema = Type.Object(
  {
    id: Id,
    decision: ExecApprovalDecisionSchema,
    reason: Type.Optional(ExecApprovalReasonSchema),
    /** How long the approval was open for operators (so the node can say "expired after 60 s"). */
    ttlMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false, $id: 'ExecApprovalRequestResult' },
);
export type ExecApprovalRequestResult = Static<typeof ExecApprovalRequestResultSchema>;

const approvalFields = {
  id: Id,
  /** The asking node's device id. */
  nodeId: Id,
  displayName: Type.Optional(Type.String()),
  command: Type.Literal('system.run'),
  argv: Argv,
  cwd: Type.Optional(AbsolutePath),
  resolvedPath: AbsolutePath,
  createdAtMs: Type.Integer(),
  expiresAtMs: Type.Integer(),
};

/** A pending approval as operators see it. */
export const ExecApprovalSchema = Type.Object(approvalFields, { additionalProperties: false, $id: 'ExecApproval' });
export type ExecApproval = Static<typeof ExecApprovalSchema>;

export const ExecApprovalListParamsSchema = Type.Object({}, { additionalProperties: false, $id: 'ExecApprovalListParams' });
export type ExecApprovalListParams = Static<typeof ExecApprovalListParamsSchema>;

export const ExecApprovalListResultSchema = Type.Object(
  { approvals: Type.Array(Type.Object(approvalFields, { additionalProperties: false })) },
  { additionalProperties: false, $id: 'ExecApprovalListResult' },
);
export type ExecApprovalListResult = Static<typeof ExecApprovalListResultSchema>;

export const ExecApprovalResolveParamsSchema = Type.Object(
  { id: Id, decision: ExecApprovalDecisionSchema },
  { additionalProperties: false, $id: 'ExecApprovalResolveParams' },
);
export type ExecApprovalResolveParams = Static<typeof ExecApprovalResolveParamsSchema>;

/** The approval that was answered, with the answer. */
export const ExecApprovalResolveResultSchema = Type.Object(
  { ...approvalFields, decision: ExecApprovalDecisionSchema, resolvedAtMs: Type.Integer() },
  { additionalProperties: false, $id: 'ExecApprovalResolveResult' },
);
export type ExecApprovalResolveResult = Static<typeof ExecApprovalResolveResultSchema>;

/** Broadcast to operators holding operator.approvals (or admin) when a node asks. */
export const ExecApprovalRequestedEventSchema = Type.Object(approvalFields, {
  additionalProperties: false,
  $id: 'ExecApprovalRequestedEvent',
});
export type ExecApprovalRequestedEvent = Static<typeof ExecApprovalRequestedEventSchema>;

/** Broadcast when an approval ends for any reason, so every operator view can drop it. */
export const ExecApprovalResolvedEventSchema = Type.Object(
  {
    id: Id,
    nodeId: Id,
    decision: ExecApprovalDecisionSchema,
    reason: ExecApprovalReasonSchema,
    ts: Type.Integer(),
  },
  { additionalProperties: false, $id: 'ExecApprovalResolvedEvent' },
);
export type ExecApprovalResolvedEvent = Static<typeof ExecApprovalResolvedEventSchema>;

/** How many decided approvals the gateway remembers for `exec.approval.history` (in memory, newest kept). */
export const EXEC_APPROVAL_HISTORY_LIMIT = 200;
/** Characters of argv, cwd and program the history keeps in all; the oldest entries go first beyond it. */
export const EXEC_APPROVAL_HISTORY_MAX_CHARS = 1_000_000;
/** Characters one history entry keeps of its argv, cwd and program; a longer one is cut and marked truncated. */
export const EXEC_APPROVAL_HISTORY_ENTRY_MAX_CHARS = 16_384;

/** Operator → gateway (operator.approvals): the most recent decided approvals, newest first. */
export const ExecApprovalHistoryParamsSchema = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: EXEC_APPROVAL_HISTORY_LIMIT })) },
  { additionalProperties: false, $id: 'ExecApprovalHistoryParams' },
);
export type ExecApprovalHistoryParams = Static<typeof ExecApprovalHistoryParamsSchema>;

/**
 * One decided approval: what was asked, how it ended, when, and who answered (for reason `operator`:
 * the gateway's description of the answering client: its client id and name as it gave them, and its
 * device id or "shared token"; a chat approver as the channel names them). Text from other parties.
 */
const historyEntryFields = {
  ...approvalFields,
  decision: ExecApprovalDecisionSchema,
  reason: ExecApprovalReasonSchema,
  resolvedAtMs: Type.Integer(),
  decidedBy: Type.Optional(Type.String({ maxLength: 512 })),
  /** Set when the argv, cwd or program was too long to keep whole in the history (the list held it whole). */
  truncated: Type.Optional(Type.Literal(true)),
};

export const ExecApprovalHistoryEntrySchema = Type.Object(historyEntryFields, { additionalProperties: false, $id: 'ExecApprovalHistoryEntry' });
export type ExecApprovalHistoryEntry = Static<typeof ExecApprovalHistoryEntrySchema>;

export const ExecApprovalHistoryResultSchema = Type.Object(
  { entries: Type.Array(Type.Object(historyEntryFields, { additionalProperties: false })), limit: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false, $id: 'ExecApprovalHistoryResult' },
);
export type ExecApprovalHistoryResult = Static<typeof ExecApprovalHistoryResultSchema>;
