/**
 * One agent run as the CLI follows it. The gateway's frames (the `agent` request's accepted and final
 * answers, and `agent` events for every run it broadcasts) become one async stream of `RunSignal`s;
 * `renderRun` consumes that stream, keeps only this run's events and writes what `AgentStreamView`
 * renders. The stream is plain data, so the whole rendering path is tested without a gateway.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, isRecord, type AgentAccepted, type AgentEvent, type AgentFinal, type AgentParams, type GatewayClient } from '@tether/protocol';
import { AgentStreamView } from './views/agent-view.js';

export type RunSignal =
  | { kind: 'accepted'; accepted: AgentAccepted }
  | { kind: 'event'; event: AgentEvent }
  | { kind: 'final'; final: AgentFinal }
  | { kind: 'error'; error: unknown };

export interface RunResult {
  /** The final payload, when the gateway sent one (ok, aborted, timeout or error status). */
  final?: AgentFinal;
  /** The error res (or lost connection), when there was no final payload. */
  error?: unknown;
  runId?: string;
  sessionKey?: string;
}

/** A small unbounded async queue: producers `push` from callbacks, one consumer iterates. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;

  push(item: T): void {
    if (this.closed) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting({ value: item, done: false });
    } else this.items.push(item);
  }

  close(): void {
    this.closed = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
    };
  }
}

export interface RenderRunOptions {
  /** Run ids known to be this run's before it is accepted (the idempotency key: the gateway uses it as runId). */
  runIds?: readonly string[];
  /** Called when the run's id or session key becomes known (for `chat.abort`). */
  onRunInfo?: (info: { runId?: string; sessionKey?: string }) => void;
  /** Events held while the run id is still unknown. */
  maxBuffered?: number;
}

function isAgentEvent(value: unknown): value is AgentEvent {
  return isRecord(value) && typeof value.runId === 'string' && typeof value.stream === 'string';
}

/**
 * Writes one run's stream and resolves when its final answer (or error) arrives. Events of other runs
 * are ignored; events that arrive before the run id is known are held (up to `maxBuffered`) and shown
 * once it is, in order.
 */
export async function renderRun(source: AsyncIterable<RunSignal>, write: (chunk: string) => void, options: RenderRunOptions = {}): Promise<RunResult> {
  const view = new AgentStreamView();
  const ours = new Set(options.runIds ?? []);
  const held: AgentEvent[] = [];
  const maxBuffered = options.maxBuffered ?? 1_000;
  let accepted = false;
  const result: RunResult = {};
  const show = (event: AgentEvent) => {
    if (result.sessionKey === undefined && typeof event.sessionKey === 'string') {
      result.sessionKey = event.sessionKey;
      options.onRunInfo?.({ runId: result.runId ?? event.runId, sessionKey: event.sessionKey });
    }
    write(view.event(event));
  };
  for await (const signal of source) {
    if (signal.kind === 'accepted') {
      accepted = true;
      if (typeof signal.accepted.runId === 'string') {
        ours.add(signal.accepted.runId);
        result.runId = signal.accepted.runId;
        options.onRunInfo?.({ runId: result.runId, sessionKey: result.sessionKey });
      }
      for (const event of held.splice(0)) if (ours.has(event.runId)) show(event);
    } else if (signal.kind === 'event') {
      const event = signal.event;
      if (!isAgentEvent(event)) continue;
      if (ours.has(event.runId)) show(event);
      else if (!accepted && held.length < maxBuffered) held.push(event);
    } else if (signal.kind === 'final') {
      result.final = signal.final;
      result.runId = typeof signal.final.runId === 'string' ? signal.final.runId : result.runId;
      write(view.final(signal.final));
      return result;
    } else {
      result.error = signal.error;
      write(view.end());
      return result;
    }
  }
  write(view.end());
  result.error ??= new Error('the connection ended before the run did');
  return result;
}

export interface AgentTurnOptions {
  message: string;
  sessionKey?: string;
  /** The run's own limit, seconds (OpenClaw's `timeout`). */
  timeoutS?: number;
  idempotencyKey?: string;
}

/** The request params for one turn. */
export function agentParams(options: AgentTurnOptions): AgentParams {
  const params: AgentParams = { message: options.message, idempotencyKey: options.idempotencyKey ?? randomUUID() };
  if (options.sessionKey !== undefined) params.sessionKey = options.sessionKey;
  if (options.timeoutS !== undefined) params.timeout = options.timeoutS;
  return params;
}

/**
 * Sends `agent` on `client` and feeds its answers into `signals`; the caller routes the connection's
 * `agent` events into the same queue. A client-side deadline (the run's timeout plus a margin) applies
 * only when the run has one.
 */
export function sendAgentRequest(client: Pick<GatewayClient, 'request'>, params: AgentParams, signals: AsyncQueue<RunSignal>): void {
  const timeoutMs = params.timeout ? (params.timeout + 30) * 1000 : undefined;
  client
    .request<AgentFinal>('agent', params, {
      expectFinal: true,
      timeoutMs,
      onAccepted: (payload) => signals.push({ kind: 'accepted', accepted: payload as AgentAccepted }),
    })
    .then(
      (final) => signals.push(isRecord(final) ? { kind: 'final', final } : { kind: 'error', error: new GatewayError({ code: 'UNAVAILABLE', message: 'the gateway sent a malformed final answer' }) }),
      (error: unknown) => signals.push({ kind: 'error', error }),
    );
}

/** Exit codes of a run that did not end ok. */
export const EXIT_RUN_FAILED = 1;
export const EXIT_RUN_TIMEOUT = 124;
export const EXIT_INTERRUPTED = 130;

export interface RunOutcome {
  code: number;
  /** What to tell the person (undefined when the run ended ok). Not yet escaped. */
  message?: string;
  /** The gateway's error, to report as it is (its message names the fix, e.g. AGENT_NOT_CONFIGURED's config keys). */
  error?: unknown;
}

/** The exit code and message for a finished run; `interrupted` when the person pressed Ctrl-C. */
export function runOutcome(result: RunResult, interrupted: boolean): RunOutcome {
  const final = result.final;
  if (interrupted && (final === undefined || final.status !== 'ok')) return { code: EXIT_INTERRUPTED, message: 'interrupted: the run was aborted' };
  if (final === undefined) return { code: EXIT_RUN_FAILED, error: result.error ?? new Error('the run ended without an answer') };
  switch (final.status) {
    case 'ok':
      return { code: 0 };
    case 'timeout':
      return { code: EXIT_RUN_TIMEOUT, message: withSummary('the run timed out', final.summary) };
    case 'aborted':
      return { code: EXIT_RUN_FAILED, message: withSummary('the run was aborted', final.summary) };
    default:
      return { code: EXIT_RUN_FAILED, message: withSummary('the run failed', final.summary) };
  }
}

function withSummary(text: string, summary: unknown): string {
  return typeof summary === 'string' && summary !== '' && summary !== 'completed' ? `${text}: ${summary.replace(/\s+/g, ' ').slice(0, 500)}` : text;
}
