/**
 * The embedded agent's methods and events, in OpenClaw's shapes so its clients (`openclaw agent`, its
 * Control UI) work against our gateway. Params are open where OpenClaw sends many optional fields we
 * do not use (`additionalProperties: true`); every field we read is typed and bounded.
 */
import { Type, type Static } from '@sinclair/typebox';

const SessionKey = Type.String({ minLength: 1, maxLength: 512 });
const IdempotencyKey = Type.String({ minLength: 1, maxLength: 256 });
/** One message to the agent: 64 KiB of text is far beyond any prompt a person types. */
const Message = Type.String({ minLength: 1, maxLength: 65_536 });

export const AgentAttachmentSchema = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 32 })),
    mimeType: Type.String({ maxLength: 128 }),
    fileName: Type.Optional(Type.String({ maxLength: 256 })),
    /** Base64, at most ~10 MB decoded (the socket's frame cap bounds it further). */
    content: Type.String({ maxLength: 14_000_000 }),
  },
  { additionalProperties: true },
);
export type AgentAttachment = Static<typeof AgentAttachmentSchema>;

export const AgentParamsSchema = Type.Object(
  {
    message: Message,
    idempotencyKey: IdempotencyKey,
    agentId: Type.Optional(Type.String({ maxLength: 64 })),
    sessionKey: Type.Optional(SessionKey),
    sessionId: Type.Optional(Type.String({ maxLength: 256 })),
    /** Seconds, as OpenClaw's `timeout`. */
    timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    extraSystemPrompt: Type.Optional(Type.String({ maxLength: 16_384 })),
    attachments: Type.Optional(Type.Array(AgentAttachmentSchema, { maxItems: 8 })),
  },
  { additionalProperties: true, $id: 'AgentParams' },
);
export type AgentParams = Static<typeof AgentParamsSchema>;

export const AgentAcceptedSchema = Type.Object(
  { runId: Type.String(), status: Type.Literal('accepted'), acceptedAt: Type.Integer(), sessionKey: Type.Optional(Type.String()) },
  { additionalProperties: true, $id: 'AgentAccepted' },
);
export type AgentAccepted = Static<typeof AgentAcceptedSchema>;

export const AgentFinalSchema = Type.Object(
  {
    runId: Type.String(),
    status: Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('aborted'), Type.Literal('timeout')]),
    summary: Type.String(),
    result: Type.Optional(
      Type.Object(
        {
          payloads: Type.Array(Type.Object({ text: Type.String() }, { additionalProperties: true })),
          meta: Type.Object(
            {
              durationMs: Type.Integer(),
              agentMeta: Type.Object({ sessionId: Type.String(), sessionKey: Type.String() }, { additionalProperties: true }),
              usage: Type.Optional(Type.Object({ promptTokens: Type.Integer(), completionTokens: Type.Integer(), totalTokens: Type.Integer() })),
              toolRounds: Type.Optional(Type.Integer()),
              /** Files the run's tools saved (camera pictures, recordings), on the gateway's machine. */
              media: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
            },
            { additionalProperties: true },
          ),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true, $id: 'AgentFinal' },
);
export type AgentFinal = Static<typeof AgentFinalSchema>;

export const AgentWaitParamsSchema = Type.Object(
  { runId: Type.String({ minLength: 1, maxLength: 256 }), timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })) },
  { additionalProperties: true, $id: 'AgentWaitParams' },
);
export type AgentWaitParams = Static<typeof AgentWaitParamsSchema>;

export const AgentWaitResultSchema = Type.Object(
  {
    runId: Type.String(),
    status: Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('timeout')]),
    startedAt: Type.Optional(Type.Integer()),
    endedAt: Type.Optional(Type.Integer()),
    error: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: 'AgentWaitResult' },
);
export type AgentWaitResult = Static<typeof AgentWaitResultSchema>;

/** `agent` event: `seq` per run from 1; tool events go only to the connection that started the run. */
export const AgentEventSchema = Type.Object(
  {
    runId: Type.String(),
    seq: Type.Integer({ minimum: 1 }),
    stream: Type.String(),
    ts: Type.Integer(),
    sessionKey: Type.Optional(Type.String()),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: true, $id: 'AgentEvent' },
);
export type AgentEvent = Static<typeof AgentEventSchema>;

export const ChatSendParamsSchema = Type.Object(
  {
    sessionKey: SessionKey,
    message: Message,
    idempotencyKey: IdempotencyKey,
    timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
    attachments: Type.Optional(Type.Array(AgentAttachmentSchema, { maxItems: 8 })),
  },
  { additionalProperties: true, $id: 'ChatSendParams' },
);
export type ChatSendParams = Static<typeof ChatSendParamsSchema>;

export const ChatHistoryParamsSchema = Type.Object(
  { sessionKey: SessionKey, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: true, $id: 'ChatHistoryParams' },
);
export type ChatHistoryParams = Static<typeof ChatHistoryParamsSchema>;

/** A transcript message as clients display it (pi-agent's shape: role plus content blocks). */
export const ChatMessageSchema = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('toolResult'), Type.Literal('system')]),
    content: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    timestamp: Type.Integer(),
    toolCallId: Type.Optional(Type.String()),
    toolName: Type.Optional(Type.String()),
    /** Tool results: the node that ran the call. */
    node: Type.Optional(Type.String()),
    isError: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true, $id: 'ChatHistoryMessage' },
);
export type ChatHistoryMessage = Static<typeof ChatMessageSchema>;

export const ChatAbortParamsSchema = Type.Object(
  { sessionKey: SessionKey, runId: Type.Optional(Type.String({ maxLength: 256 })) },
  { additionalProperties: true, $id: 'ChatAbortParams' },
);
export type ChatAbortParams = Static<typeof ChatAbortParamsSchema>;

/** `chat` event: the chat projection of a run (deltas throttled, cumulative text). */
export const ChatEventSchema = Type.Object(
  {
    runId: Type.String(),
    sessionKey: Type.String(),
    seq: Type.Integer(),
    state: Type.Union([Type.Literal('delta'), Type.Literal('final'), Type.Literal('aborted'), Type.Literal('error')]),
    message: Type.Optional(ChatMessageSchema),
    deltaText: Type.Optional(Type.String()),
    errorMessage: Type.Optional(Type.String()),
    stopReason: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: 'ChatEvent' },
);
export type ChatEvent = Static<typeof ChatEventSchema>;

export const SessionsListParamsSchema = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) },
  { additionalProperties: true, $id: 'SessionsListParams' },
);

export const SessionSummarySchema = Type.Object(
  {
    key: Type.String(),
    sessionId: Type.String(),
    createdAt: Type.Integer(),
    updatedAt: Type.Integer(),
    lastRun: Type.Optional(
      Type.Object({ runId: Type.String(), status: Type.String(), startedAt: Type.Integer(), endedAt: Type.Optional(Type.Integer()) }, { additionalProperties: true }),
    ),
  },
  { additionalProperties: true, $id: 'SessionSummary' },
);
export type SessionSummary = Static<typeof SessionSummarySchema>;

/**
 * `agents.list`, as OpenClaw's: `openclaw agent --to <number>` (or with no session selector) asks a
 * remote gateway for its agents before it builds the session key. This gateway has one agent, `main`.
 */
export const AgentsListParamsSchema = Type.Object({}, { additionalProperties: true, $id: 'AgentsListParams' });
export const AgentsListResultSchema = Type.Object(
  {
    defaultId: Type.String({ minLength: 1 }),
    ownership: Type.Optional(Type.Union([Type.Literal('sole'), Type.Literal('legacy'), Type.Literal('explicit')])),
    selectionRequired: Type.Optional(Type.Boolean()),
    mainKey: Type.String({ minLength: 1 }),
    scope: Type.Union([Type.Literal('per-sender'), Type.Literal('global')]),
    agents: Type.Array(Type.Object({ id: Type.String({ minLength: 1 }), name: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: true })),
  },
  { additionalProperties: true, $id: 'AgentsListResult' },
);
export type AgentsListResult = Static<typeof AgentsListResultSchema>;

export const SessionsResetParamsSchema = Type.Object({ key: SessionKey }, { additionalProperties: true, $id: 'SessionsResetParams' });
export type SessionsResetParams = Static<typeof SessionsResetParamsSchema>;

/** `tools.catalog` / `tools.invoke`: the agent's device tools for other tool hosts (`tether mcp`). */
export const ToolsCatalogParamsSchema = Type.Object({}, { additionalProperties: true, $id: 'ToolsCatalogParams' });
export const ToolsInvokeParamsSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    idempotencyKey: Type.Optional(IdempotencyKey),
  },
  { additionalProperties: false, $id: 'ToolsInvokeParams' },
);
export type ToolsInvokeParams = Static<typeof ToolsInvokeParamsSchema>;
