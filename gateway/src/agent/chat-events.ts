/**
 * Agent events to the gateway's readers: the `agent` event (lifecycle and assistant text; tool steps
 * travel only to the run's own connection, see methods/agent.ts) and its chat projection, the `chat`
 * event: `delta` with the cumulative text at most every 150 ms (flushed before a tool step, so the
 * text before it is never lost), then one `final`, `aborted` or `error`.
 */
import type { Broadcaster } from '../broadcast.js';
import type { AgentStreamEvent } from './service-types.js';

export const CHAT_DELTA_INTERVAL_MS = 150;
const READERS = { scope: 'operator.read' } as const;

interface Projection {
  seq: number;
  text: string;
  sent: string;
  timer?: NodeJS.Timeout;
}

export class AgentEventRelay {
  private readonly runs = new Map<string, Projection>();

  constructor(
    private readonly broadcaster: Broadcaster,
    private readonly intervalMs = CHAT_DELTA_INTERVAL_MS,
  ) {}

  handle(event: AgentStreamEvent): void {
    if (event.stream !== 'tool') this.broadcaster.broadcast('agent', event, READERS, { dropIfSlow: event.stream === 'assistant' });
    const run = this.projection(event.runId);
    if (event.stream === 'assistant' && typeof event.data.text === 'string') {
      run.text = event.data.text;
      run.timer ??= setTimeout(() => this.flush(event), this.intervalMs);
      return;
    }
    if (event.stream === 'tool' && event.data.phase === 'start') return this.flush(event);
    if (event.stream !== 'lifecycle' || event.data.phase === 'start') return;
    this.flush(event);
    this.runs.delete(event.runId);
    const message = { role: 'assistant', content: [{ type: 'text', text: run.text }], timestamp: event.ts };
    const base = { runId: event.runId, sessionKey: event.sessionKey, seq: ++run.seq };
    if (event.data.phase === 'error') this.send({ ...base, state: 'error', errorMessage: String(event.data.error ?? 'the run failed') });
    else if (event.data.aborted) this.send({ ...base, state: 'aborted', ...(run.text ? { message } : {}), stopReason: String(event.data.stopReason ?? 'aborted') });
    else this.send({ ...base, state: 'final', message, stopReason: 'stop' });
  }

  close(): void {
    for (const run of this.runs.values()) clearTimeout(run.timer);
    this.runs.clear();
  }

  private projection(runId: string): Projection {
    let run = this.runs.get(runId);
    if (!run) this.runs.set(runId, (run = { seq: 0, text: '', sent: '' }));
    return run;
  }

  private flush(event: AgentStreamEvent): void {
    const run = this.runs.get(event.runId);
    if (!run) return;
    clearTimeout(run.timer);
    run.timer = undefined;
    if (run.text === run.sent) return;
    const deltaText = run.text.startsWith(run.sent) ? run.text.slice(run.sent.length) : run.text;
    run.sent = run.text;
    this.send({
      runId: event.runId,
      sessionKey: event.sessionKey,
      seq: ++run.seq,
      state: 'delta',
      message: { role: 'assistant', content: [{ type: 'text', text: run.text }], timestamp: Date.now() },
      deltaText,
    });
  }

  private send(payload: Record<string, unknown>): void {
    this.broadcaster.broadcast('chat', payload, READERS);
  }
}
