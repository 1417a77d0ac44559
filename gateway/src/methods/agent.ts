/**
 * The embedded agent over WebSocket, in OpenClaw's shapes: `agent` (an `accepted` answer at once, then
 * the final answer under the same request id), `agent.wait`, `chat.send`/`chat.history`/`chat.abort`,
 * `sessions.list`/`sessions.reset`, `agents.list` (one agent, `main`), and `tools.catalog`/`tools.invoke` for other tool hosts (`tether mcp`).
 * Events: `agent` (lifecycle and assistant to every reader; tool steps only to the connection that
 * started the run and asked for them with the `tool-events` cap) and `chat` (see chat-events.ts).
 */
import {
  AgentParamsSchema,
  AgentsListParamsSchema,
  AgentWaitParamsSchema,
  ChatAbortParamsSchema,
  ChatHistoryParamsSchema,
  ChatSendParamsSchema,
  DetailCode,
  ErrorCode,
  GatewayError,
  SessionsListParamsSchema,
  SessionsResetParamsSchema,
  ToolsCatalogParamsSchema,
  ToolsInvokeParamsSchema,
  type AgentAttachment,
  type AgentFinal,
  type AgentParams,
  type AgentsListResult,
} from '@tether/protocol';
import { checkSessionKey } from '../agent/agent-service.js';
import { chatHistoryMessages } from '../agent/chat-history.js';
import { MAIN_SESSION_KEY } from '../agent/sessions/session-key.js';
import type { AgentRunOutcome, AgentStreamEvent, RunImage } from '../agent/service-types.js';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';

export const TOOL_EVENTS_CAP = 'tool-events';
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** Attached images, checked: an image type, real base64, within the size cap. Anything else is refused, not dropped. */
function attachedImages(attachments: readonly AgentAttachment[] | undefined): RunImage[] {
  return (attachments ?? []).map((attachment, i) => {
    const base64 = attachment.content.replace(/^data:[^,]*,/, '');
    const bytes = Buffer.byteLength(base64, 'base64');
    if (!IMAGE_TYPES.has(attachment.mimeType) || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || bytes === 0 || bytes > MAX_ATTACHMENT_BYTES) {
      throw new GatewayError({
        code: ErrorCode.INVALID_REQUEST,
        message: `attachment ${i + 1} must be a base64 image (${[...IMAGE_TYPES].join(', ')}) of at most ${MAX_ATTACHMENT_BYTES} bytes`,
        details: { code: DetailCode.INVALID_PARAMS },
      });
    }
    return { mimeType: attachment.mimeType, base64 };
  });
}

/** Tool steps go only to the connection that started the run, and only if it asked for them. */
function toolEventsTo(connection: Connection, wantsTools: boolean): (event: AgentStreamEvent) => void {
  return (event) => {
    if (event.stream === 'tool' && wantsTools && connection.isOpen) connection.sendEvent('agent', event);
  };
}

function finalPayload(gateway: GatewayContext, outcome: AgentRunOutcome): AgentFinal {
  const sessionId = gateway.agentSessions.get(outcome.sessionKey)?.sessionId ?? '';
  const durationMs = outcome.endedAt - outcome.startedAt;
  return {
    runId: outcome.runId,
    status: outcome.status === 'ok' ? 'ok' : outcome.status === 'timeout' ? 'timeout' : 'aborted',
    summary: outcome.status === 'ok' ? 'completed' : (outcome.error?.message ?? outcome.status),
    result: {
      payloads: outcome.text ? [{ text: outcome.text }] : [],
      meta: { durationMs, agentMeta: { sessionId, sessionKey: outcome.sessionKey }, ...(outcome.usage ? { usage: outcome.usage } : {}), toolRounds: outcome.toolRounds, media: outcome.media.map((m) => ({ ...m })) },
    },
  };
}

/**
 * The session an `agent` request runs in. OpenClaw's CLI sends `agentId` (`--agent`, or the roster's
 * default with `--to`) and, for `--session-id` against a remote gateway, `sessionId` without a key.
 * Neither is ignored: another agent's id is refused like another agent's key, and a session id
 * selects the session that has it (an unknown one is refused rather than run in the main session).
 */
function runSessionKey(gateway: GatewayContext, params: AgentParams): string {
  if (params.agentId !== undefined && params.agentId.trim().toLowerCase() !== 'main') {
    throw new GatewayError({
      code: ErrorCode.INVALID_REQUEST,
      message: `this gateway has one agent, "main": unknown agent id ${JSON.stringify(params.agentId.slice(0, 64))}`,
      details: { code: DetailCode.INVALID_SESSION_KEY },
    });
  }
  if (params.sessionKey) return params.sessionKey;
  const sessionId = params.sessionId?.trim();
  if (!sessionId) return MAIN_SESSION_KEY;
  const record = gateway.agentSessions.list().find((r) => r.sessionId === sessionId);
  if (!record) {
    throw new GatewayError({
      code: ErrorCode.INVALID_REQUEST,
      message: `no session has id ${JSON.stringify(sessionId.slice(0, 80))}: pass a session key (agent:main:<name>) to start one`,
      details: { code: DetailCode.INVALID_SESSION_KEY },
    });
  }
  return record.sessionKey;
}

function runFailed(outcome: AgentRunOutcome): GatewayError {
  return new GatewayError({
    code: ErrorCode.UNAVAILABLE,
    message: outcome.error?.message ?? 'the agent run failed',
    details: { code: outcome.error?.code ?? 'AGENT_FAILED', runId: outcome.runId },
  });
}

export const agentMethods: RegisteredMethod[] = [
  defineMethod({
    method: 'agent',
    roles: ['operator'],
    scope: 'operator.write',
    params: AgentParamsSchema,
    handler: async ({ gateway, connection, session, requestId }, params) => {
      const sessionKey = runSessionKey(gateway, params);
      const handle = gateway.agent.start(
        {
          sessionKey,
          message: params.message,
          runId: params.idempotencyKey,
          images: attachedImages(params.attachments),
          ...(params.extraSystemPrompt ? { extraSystemPrompt: params.extraSystemPrompt } : {}),
          ...(params.timeout ? { timeoutMs: params.timeout * 1000 } : {}),
        },
        toolEventsTo(connection, session.caps?.has(TOOL_EVENTS_CAP) === true),
      );
      // sessionKey in `accepted`: OpenClaw's CLI reads it to `chat.abort` the run on Ctrl-C when it
      // sent no key itself (--agent, --session-id).
      if (requestId) connection.sendResult(requestId, { runId: handle.runId, status: 'accepted', acceptedAt: handle.acceptedAt, sessionKey });
      const outcome = await handle.done;
      if (outcome.status === 'error') throw runFailed(outcome);
      return finalPayload(gateway, outcome);
    },
  }),
  defineMethod({
    method: 'agents.list',
    roles: ['operator'],
    scope: 'operator.read',
    params: AgentsListParamsSchema,
    handler: (): AgentsListResult => ({
      defaultId: 'main',
      ownership: 'sole',
      selectionRequired: false,
      mainKey: MAIN_SESSION_KEY.split(':')[2]!,
      scope: 'per-sender',
      agents: [{ id: 'main' }],
    }),
  }),
  defineMethod({
    method: 'agent.wait',
    roles: ['operator'],
    scope: 'operator.write',
    params: AgentWaitParamsSchema,
    handler: async ({ gateway }, params) => {
      const outcome = await gateway.agent.wait(params.runId, params.timeoutMs ?? 30_000);
      if (!outcome) return { runId: params.runId, status: 'timeout' };
      return {
        runId: outcome.runId,
        status: outcome.status === 'ok' ? 'ok' : outcome.status === 'timeout' ? 'timeout' : 'error',
        startedAt: outcome.startedAt,
        endedAt: outcome.endedAt,
        ...(outcome.error ? { error: outcome.error.message } : {}),
      };
    },
  }),
  defineMethod({
    method: 'chat.send',
    roles: ['operator'],
    scope: 'operator.write',
    params: ChatSendParamsSchema,
    handler: async ({ gateway, connection, session }, params) => {
      const previous = await gateway.agent.wait(params.idempotencyKey, 0);
      if (previous) return { runId: previous.runId, status: previous.status === 'ok' ? 'ok' : previous.status };
      const handle = gateway.agent.start(
        {
          sessionKey: params.sessionKey,
          message: params.message,
          runId: params.idempotencyKey,
          images: attachedImages(params.attachments),
          ...(params.timeoutMs ? { timeoutMs: params.timeoutMs } : {}),
        },
        toolEventsTo(connection, session.caps?.has(TOOL_EVENTS_CAP) === true),
      );
      return { runId: handle.runId, status: 'started' };
    },
  }),
  defineMethod({
    method: 'chat.history',
    roles: ['operator'],
    scope: 'operator.read',
    params: ChatHistoryParamsSchema,
    handler: async ({ gateway, session }, params) => {
      checkSessionKey(params.sessionKey);
      const record = gateway.agentSessions.get(params.sessionKey);
      const withTools = session.scopes.has('operator.write') || session.scopes.has('operator.admin');
      const messages = chatHistoryMessages(await gateway.agentSessions.transcript(params.sessionKey), params.limit ?? 200, { withTools });
      return { sessionKey: params.sessionKey, sessionId: record?.sessionId ?? null, messages };
    },
  }),
  defineMethod({
    method: 'chat.abort',
    roles: ['operator'],
    scope: 'operator.write',
    params: ChatAbortParamsSchema,
    handler: ({ gateway }, params) => {
      checkSessionKey(params.sessionKey);
      const runIds = gateway.agent.abort({ sessionKey: params.sessionKey, ...(params.runId ? { runId: params.runId } : {}) });
      return { ok: true, aborted: runIds.length > 0, runIds };
    },
  }),
  defineMethod({
    method: 'sessions.list',
    roles: ['operator'],
    scope: 'operator.read',
    params: SessionsListParamsSchema,
    handler: ({ gateway }, params) => {
      const sessions = gateway.agentSessions.list().slice(0, params.limit ?? 1_000);
      return {
        ts: Date.now(),
        count: sessions.length,
        defaults: { mainSessionKey: MAIN_SESSION_KEY },
        sessions: sessions.map((record) => ({
          key: record.sessionKey,
          sessionId: record.sessionId,
          createdAt: record.createdAtMs,
          updatedAt: record.updatedAtMs,
          ...(record.lastRun
            ? { lastRun: { runId: record.lastRun.runId, status: record.lastRun.status, startedAt: record.lastRun.startedAtMs, ...(record.lastRun.endedAtMs ? { endedAt: record.lastRun.endedAtMs } : {}) } }
            : {}),
        })),
      };
    },
  }),
  defineMethod({
    method: 'sessions.reset',
    roles: ['operator'],
    scope: 'operator.write',
    params: SessionsResetParamsSchema,
    handler: async ({ gateway }, params) => {
      checkSessionKey(params.key);
      const record = await gateway.agentSessions.reset(params.key);
      return { ok: true, key: params.key, sessionId: record.sessionId };
    },
  }),
  defineMethod({
    method: 'tools.catalog',
    roles: ['operator'],
    scope: 'operator.read',
    params: ToolsCatalogParamsSchema,
    handler: async ({ gateway }) => ({ tools: await gateway.tools.listTools() }),
  }),
  defineMethod({
    method: 'tools.invoke',
    roles: ['operator'],
    scope: 'operator.write',
    params: ToolsInvokeParamsSchema,
    handler: ({ gateway }, params) => gateway.tools.callTool(params.name, params.args ?? {}, params.idempotencyKey ? { idempotencyKey: `tools:${params.idempotencyKey}` } : {}),
  }),
];
