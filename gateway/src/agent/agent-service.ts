/**
 * The embedded agent: runs on sessions, one at a time per session (later ones queue), each with a
 * deadline and an abort, their events numbered per run and fanned out to the run's own listener and
 * to subscribers. `start` refuses at once when no model is configured. A finished run's outcome is
 * kept a while for `wait` and for repeated idempotency keys.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DetailCode, ErrorCode, GatewayError, safeLabel } from '@tether/protocol';
import type { Logger } from '../log.js';
import { notConfiguredMessage, type AgentConfig } from './agent-config.js';
import { ModelError, type ModelClient } from './model/types.js';
import { runAgentLoop } from './run/run-loop.js';
import { parseSessionKey, SessionKeyError } from './sessions/session-key.js';
import type { SessionStore } from './sessions/session-store.js';
import type { AgentRunHandle, AgentRunOutcome, AgentRunRequest, AgentService, AgentStreamEvent, RunStatus } from './service-types.js';
import type { ToolBackend } from './tool-backend.js';

const KEPT_OUTCOMES = 1_000;
/** Runs going or queued at once, over all sessions: each holds a model request and a transcript open. */
export const MAX_ACTIVE_RUNS = 64;

interface ActiveRun {
  handle: AgentRunHandle;
  controller: AbortController;
}

export interface EmbeddedAgentOptions {
  config: AgentConfig;
  configPath: string;
  sessions: SessionStore;
  tools: ToolBackend;
  /** Absent when no model is configured. */
  model?: ModelClient;
  log: Logger;
}

export class EmbeddedAgent implements AgentService {
  private readonly active = new Map<string, ActiveRun>();
  private readonly finished = new Map<string, AgentRunOutcome>();
  /** What each known run id was asked (session and message), to refuse a key reused for something else. */
  private readonly fingerprints = new Map<string, string>();
  private readonly listeners = new Set<(event: AgentStreamEvent) => void>();
  private closed = false;

  constructor(private readonly options: EmbeddedAgentOptions) {}

  get sessions(): SessionStore {
    return this.options.sessions;
  }

  modelName(): string | undefined {
    return this.options.model?.model;
  }

  subscribe(listener: (event: AgentStreamEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(request: AgentRunRequest, listener?: (event: AgentStreamEvent) => void): AgentRunHandle {
    const model = this.options.model;
    if (!model) {
      throw new GatewayError({ code: ErrorCode.UNAVAILABLE, message: notConfiguredMessage(this.options.configPath), details: { code: DetailCode.AGENT_NOT_CONFIGURED } });
    }
    if (this.closed) {
      throw new GatewayError({ code: ErrorCode.UNAVAILABLE, message: 'the gateway is shutting down', details: { code: DetailCode.SHUTTING_DOWN }, retryable: true });
    }
    checkSessionKey(request.sessionKey);
    const runId = request.runId ?? randomUUID();
    const fingerprint = fingerprintOf(request);
    const known = this.fingerprints.get(runId);
    if (known !== undefined && known !== fingerprint) {
      // A key reused for another message or session must not hand back someone else's run.
      throw new GatewayError({
        code: ErrorCode.INVALID_REQUEST,
        message: 'this idempotency key already belongs to a run with another message or session; use a fresh key for a new request',
        details: { code: DetailCode.IDEMPOTENCY_CONFLICT },
      });
    }
    const existing = this.active.get(runId);
    if (existing) return existing.handle;
    const done = this.finished.get(runId);
    if (done) return { runId, sessionKey: done.sessionKey, acceptedAt: done.startedAt, done: Promise.resolve(done), abort: () => {} };

    if (this.active.size >= MAX_ACTIVE_RUNS) {
      throw new GatewayError({
        code: ErrorCode.UNAVAILABLE,
        message: `the agent already has ${this.active.size} runs going or queued (the limit); wait for some to end and retry`,
        details: { code: DetailCode.AGENT_BUSY, limit: MAX_ACTIVE_RUNS },
        retryable: true,
      });
    }
    const controller = new AbortController();
    const timeoutMs = Math.min(this.options.config.timeoutMs, request.timeoutMs || Infinity);
    let seq = 0;
    const emit = (stream: AgentStreamEvent['stream'], data: Record<string, unknown>) => {
      const event: AgentStreamEvent = { runId, seq: ++seq, stream, ts: Date.now(), sessionKey: request.sessionKey, data };
      // A listener that throws (a closed socket, a bug) must not end the run or lose its outcome.
      for (const each of [listener, ...this.listeners]) {
        try {
          each?.(event);
        } catch (error) {
          this.options.log.warn(`agent: an event listener failed: ${safeLabel((error as Error)?.message, 200)}`);
        }
      }
    };
    const acceptedAt = Date.now();
    const handle: AgentRunHandle = {
      runId,
      sessionKey: request.sessionKey,
      acceptedAt,
      done: this.execute(model, request, runId, controller, timeoutMs, emit),
      abort: (reason = 'aborted') => controller.abort(new AbortReason('aborted', reason)),
    };
    this.active.set(runId, { handle, controller });
    this.fingerprints.set(runId, fingerprint);
    void handle.done.then((outcome) => {
      this.active.delete(runId);
      this.finished.set(runId, outcome);
      if (this.finished.size > KEPT_OUTCOMES) {
        const oldest = this.finished.keys().next().value!;
        this.finished.delete(oldest);
        this.fingerprints.delete(oldest);
      }
    });
    return handle;
  }

  async wait(runId: string, timeoutMs: number): Promise<AgentRunOutcome | undefined> {
    const done = this.finished.get(runId);
    if (done) return done;
    const run = this.active.get(runId);
    if (!run) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      return await Promise.race([run.handle.done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  abort(target: { sessionKey: string; runId?: string }): string[] {
    const aborted: string[] = [];
    for (const [runId, run] of this.active) {
      if (run.handle.sessionKey !== target.sessionKey || (target.runId && target.runId !== runId)) continue;
      run.handle.abort('aborted by a client');
      aborted.push(runId);
    }
    return aborted;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const run of this.active.values()) run.controller.abort(new AbortReason('aborted', 'the gateway is shutting down'));
    await Promise.allSettled([...this.active.values()].map((run) => run.handle.done));
  }

  private async execute(
    model: ModelClient,
    request: AgentRunRequest,
    runId: string,
    controller: AbortController,
    timeoutMs: number,
    emit: (stream: AgentStreamEvent['stream'], data: Record<string, unknown>) => void,
  ): Promise<AgentRunOutcome> {
    let startedAt = Date.now();
    let partial = '';
    const deadline = setTimeout(() => controller.abort(new AbortReason('timeout', `the run passed its ${Math.round(timeoutMs / 1000)} s deadline`)), timeoutMs);
    deadline.unref();
    const listen = (stream: AgentStreamEvent['stream'], data: Record<string, unknown>) => {
      if (stream === 'assistant' && typeof data.text === 'string') partial = data.text;
      emit(stream, data);
    };
    try {
      const result = await this.options.sessions.runExclusive(
        request.sessionKey,
        async (ctx) => {
          startedAt = Date.now();
          emit('lifecycle', { phase: 'start', startedAt });
          try {
            controller.signal.throwIfAborted();
            return await runAgentLoop({ model, tools: this.options.tools, config: this.options.config, signal: controller.signal, emit: listen }, request, ctx);
          } catch (error) {
            throw asRunError(error, controller.signal);
          }
        },
        { runId },
      );
      const endedAt = Date.now();
      emit('lifecycle', { phase: 'end', startedAt, endedAt });
      return { runId, sessionKey: request.sessionKey, status: 'ok', text: result.text, startedAt, endedAt, media: result.media, toolRounds: result.toolRounds, ...(result.usage ? { usage: result.usage } : {}) };
    } catch (error) {
      const failure = asRunError(error, controller.signal);
      const endedAt = Date.now();
      const status: RunStatus = failure.name === 'AbortError' ? 'aborted' : failure.name === 'TimeoutError' ? 'timeout' : 'error';
      if (status === 'error') this.options.log.warn(`agent run ${safeLabel(runId, 80)} failed: ${safeLabel(failure.message, 500)}`);
      emit('lifecycle', { phase: status === 'error' ? 'error' : 'end', ...(status !== 'error' ? { aborted: true, stopReason: status } : {}), error: failure.message, startedAt, endedAt });
      return { runId, sessionKey: request.sessionKey, status, text: partial, error: { code: failure.code, message: failure.message }, startedAt, endedAt, media: [], toolRounds: 0 };
    } finally {
      clearTimeout(deadline);
    }
  }
}

function fingerprintOf(request: AgentRunRequest): string {
  return createHash('sha256').update(request.sessionKey).update('\0').update(request.message).digest('hex');
}

/** Why a run's signal was aborted: by a client (`aborted`) or by its deadline (`timeout`). */
class AbortReason extends Error {
  constructor(
    readonly kind: 'aborted' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

class RunError extends Error {
  constructor(
    name: 'AbortError' | 'TimeoutError' | 'RunError',
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** Any failure inside a run as the error its outcome and its transcript record. */
function asRunError(error: unknown, signal: AbortSignal): RunError {
  if (error instanceof RunError) return error;
  if (signal.aborted) {
    const reason = signal.reason instanceof AbortReason ? signal.reason : new AbortReason('aborted', 'aborted');
    return reason.kind === 'timeout' ? new RunError('TimeoutError', 'AGENT_TIMEOUT', reason.message) : new RunError('AbortError', 'AGENT_ABORTED', reason.message);
  }
  if (error instanceof ModelError) return new RunError('RunError', error.code, error.message);
  if (error instanceof GatewayError) return new RunError('RunError', error.detailCode, error.message);
  return new RunError('RunError', 'AGENT_FAILED', `the run failed: ${(error as Error)?.message ?? String(error)}`);
}

/** A caller's session key, refused as a request error (not a crash) when malformed or for another agent. */
export function checkSessionKey(sessionKey: string): void {
  try {
    const { agentId } = parseSessionKey(sessionKey);
    if (agentId !== 'main') throw new SessionKeyError(`this gateway has one agent, "main": use agent:main:<name>, not ${JSON.stringify(sessionKey.slice(0, 80))}`);
  } catch (error) {
    if (!(error instanceof SessionKeyError)) throw error;
    throw new GatewayError({ code: ErrorCode.INVALID_REQUEST, message: error.message, details: { code: DetailCode.INVALID_SESSION_KEY } });
  }
}
