/**
 * What the agent view knows of runs, from the gateway's events: the `chat` event (delta with the run's
 * cumulative text, then one final / aborted / error) and the `agent` event (lifecycle and assistant
 * text to every reader; tool steps, stream "tool", only on the connection that started the run and
 * asked for them with the `tool-events` cap). Pure functions over plain records, so a view re-renders
 * from them.
 */
import { safeText } from '../../../../protocol/src/display.js';

export interface ChatMessage {
  role: 'user' | 'assistant' | 'toolResult' | 'system';
  content: Record<string, unknown>[];
  timestamp: number;
  toolCallId?: string;
  toolName?: string;
  node?: string;
  isError?: boolean;
}

export interface SessionRow {
  key: string;
  sessionId?: string;
  updatedAt?: number;
  lastRun?: { runId: string; status: string; startedAt: number; endedAt?: number };
}

/** A tool step as the live events describe it (phase start, then result). */
export interface LiveToolStep {
  toolCallId: string;
  name: string;
  args?: unknown;
  status: 'running' | 'ok' | 'error';
  startedAt: number;
  durationMs?: number;
  node?: string;
  command?: string;
  savedTo?: string[];
  summary?: string;
}

export interface LiveRun {
  runId: string;
  sessionKey: string;
  state: 'running' | 'final' | 'aborted' | 'error';
  text: string;
  error?: string;
  /** The tool steps of this run seen live, in the order they started. */
  toolOrder: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The text of a message's text blocks. */
export function textOf(message: Pick<ChatMessage, 'content'>): string {
  return message.content
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text as string)
    .join('\n');
}

/** The most tool calls of one run the page lists (the view keeps at most this many live steps too). */
const MAX_TOOL_ORDER = 500;

/** The run this event belongs to, updated; undefined when the event is not a run event for `sessionKey`. */
export function nextRun(run: LiveRun | undefined, event: string, payload: unknown, sessionKey: string): LiveRun | undefined {
  if (!isRecord(payload) || payload.sessionKey !== sessionKey) return undefined;
  const runId = str(payload.runId);
  if (!runId) return undefined;
  const base: LiveRun = run && run.runId === runId ? run : { runId, sessionKey, state: 'running', text: '', toolOrder: [] };
  if (event === 'chat') {
    const state = str(payload.state);
    const text = isRecord(payload.message) && Array.isArray(payload.message.content) ? textOf(payload.message as unknown as ChatMessage) : undefined;
    if (state === 'delta') return { ...base, state: 'running', text: text ?? base.text };
    if (state === 'final') return { ...base, state: 'final', text: text ?? base.text };
    if (state === 'aborted') return { ...base, state: 'aborted', text: text ?? base.text };
    if (state === 'error') return { ...base, state: 'error', error: str(payload.errorMessage) ?? 'the run failed' };
    return undefined;
  }
  if (event === 'agent' && isRecord(payload.data)) {
    if (payload.stream === 'assistant' && typeof payload.data.text === 'string' && base.state === 'running') return { ...base, text: payload.data.text };
    if (payload.stream === 'lifecycle' && payload.data.phase === 'start') return { ...base, state: 'running' };
    if (payload.stream === 'tool') {
      const id = str(payload.data.toolCallId);
      // Bounded like the tool steps the view keeps: a run's tool calls are capped by the gateway anyway.
      if (id && base.toolOrder.length < MAX_TOOL_ORDER && !base.toolOrder.includes(id)) return { ...base, toolOrder: [...base.toolOrder, id] };
      return base;
    }
  }
  return undefined;
}

/** A live tool step updated by an `agent` tool event; undefined when the event is not one. */
export function nextToolStep(steps: ReadonlyMap<string, LiveToolStep>, event: string, payload: unknown): LiveToolStep | undefined {
  if (event !== 'agent' || !isRecord(payload) || payload.stream !== 'tool' || !isRecord(payload.data)) return undefined;
  const data = payload.data;
  const id = str(data.toolCallId);
  if (!id) return undefined;
  const ts = typeof payload.ts === 'number' ? payload.ts : Date.now();
  const previous = steps.get(id) ?? { toolCallId: id, name: str(data.name) ?? 'tool', status: 'running' as const, startedAt: ts };
  if (data.phase === 'start') return { ...previous, name: str(data.name) ?? previous.name, args: data.args, status: 'running', startedAt: ts };
  if (data.phase === 'result') {
    const savedTo = Array.isArray(data.savedTo) ? data.savedTo.filter((p): p is string => typeof p === 'string') : undefined;
    return {
      ...previous,
      status: data.isError === true ? 'error' : 'ok',
      ...(typeof data.durationMs === 'number' ? { durationMs: data.durationMs } : {}),
      ...(str(data.node) ? { node: str(data.node) } : {}),
      ...(str(data.command) ? { command: str(data.command) } : {}),
      ...(savedTo ? { savedTo } : {}),
      ...(str(data.summary) !== undefined ? { summary: str(data.summary) } : {}),
    };
  }
  return previous;
}

/** The name the agent gave a saved file (`<sha256>.<ext>`), if the path ends in one; the route takes only that. */
export function mediaName(path: string): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return /^[0-9a-f]{64}\.(?:jpg|png|mp4)$/.test(name) ? name : undefined;
}

/** A fresh session key for "New session": agent:main:ui-<time>-<random>. */
export function newSessionKey(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const random = (crypto.getRandomValues(new Uint32Array(1))[0]! % 36 ** 4).toString(36).padStart(4, '0');
  return `agent:main:ui-${stamp}-${random}`;
}

/** Whether a failed chat.send means "no model is configured" (the message then says how to set one). */
export function isNotConfigured(error: unknown): boolean {
  const detail = isRecord(error) ? (error as { detailCode?: unknown; details?: { code?: unknown } }) : undefined;
  if (detail?.detailCode === 'AGENT_NOT_CONFIGURED' || detail?.details?.code === 'AGENT_NOT_CONFIGURED') return true;
  return error instanceof Error && /the agent has no model/.test(error.message);
}

/**
 * Multi-line text from another party (the model, a node) for a `white-space: pre-wrap` element: its
 * newlines kept, every other control, format or line-separator character a visible escape, at most `max`.
 */
export function multilineText(text: string, max = 20_000): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut
    .split('\n')
    .map((line) => safeText(line))
    .join('\n');
}

/** A fresh idempotency key (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `ui-${[...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}
