/**
 * The embedded agent as the gateway's surfaces use it (WS `agent`/`chat.*`, `/v1/chat/completions`,
 * chat channels later): start a run on a session, follow its events, wait for it, abort it. Event
 * payloads are OpenClaw's `agent` event shape, so one projection serves every client.
 */
import type { ModelUsage } from './model/types.js';

export interface RunImage {
  mimeType: string;
  base64: string;
}

export interface AgentRunRequest {
  sessionKey: string;
  message: string;
  /** Images the person attached (user message image parts). */
  images?: RunImage[];
  /** The caller's id for this run (OpenClaw: the idempotency key); a fresh UUID when absent. */
  runId?: string;
  /** Appended to the system prompt for this run only (OpenAI endpoint: the client's system messages). */
  extraSystemPrompt?: string;
  /** Shortens the run's deadline (never lengthens it past agent.timeoutSeconds). */
  timeoutMs?: number;
}

export type RunStatus = 'ok' | 'error' | 'aborted' | 'timeout';

export interface SavedMediaRef {
  path: string;
  mimeType?: string;
  bytes: number;
  node: string;
  command: string;
}

export interface AgentRunOutcome {
  runId: string;
  sessionKey: string;
  status: RunStatus;
  /** The final assistant text (may be partial for aborted/timeout). */
  text: string;
  error?: { code: string; message: string };
  startedAt: number;
  endedAt: number;
  usage?: ModelUsage;
  media: SavedMediaRef[];
  toolRounds: number;
}

/** OpenClaw's `agent` event payload: `seq` is per run, strictly increasing from 1. */
export interface AgentStreamEvent {
  runId: string;
  seq: number;
  stream: 'lifecycle' | 'assistant' | 'tool';
  ts: number;
  sessionKey: string;
  data: Record<string, unknown>;
}

export interface AgentRunHandle {
  runId: string;
  sessionKey: string;
  acceptedAt: number;
  /** Settles when the run ends, whatever the status; never rejects. */
  done: Promise<AgentRunOutcome>;
  abort(reason?: string): void;
}

export interface AgentService {
  /** Throws a GatewayError (AGENT_NOT_CONFIGURED) at once when no model is configured. */
  start(request: AgentRunRequest, listener?: (event: AgentStreamEvent) => void): AgentRunHandle;
  /** Every run's events (the WS surface filters by audience). Returns the unsubscribe. */
  subscribe(listener: (event: AgentStreamEvent) => void): () => void;
  /** The outcome if the run ends within `timeoutMs`, else undefined. Unknown run ids also give undefined. */
  wait(runId: string, timeoutMs: number): Promise<AgentRunOutcome | undefined>;
  /** Aborts the session's active run (or the given one); returns the aborted run ids. */
  abort(target: { sessionKey: string; runId?: string }): string[];
  /** The model id offered as `GET /v1/models` (undefined when not configured). */
  modelName(): string | undefined;
  close(): Promise<void>;
}
