/** A fake agent for WhatsApp channel tests: records runs and answers each at once with a fixed text. */
import type { AgentRunHandle, AgentRunRequest, AgentService } from '../../gateway/src/agent/service-types.js';
import type { Logger } from '../../gateway/src/log.js';

export class AnsweringAgent implements AgentService {
  runs: AgentRunRequest[] = [];
  constructor(private readonly answer: (message: string) => string = (message) => `you said: ${message}`) {}
  start(request: AgentRunRequest): AgentRunHandle {
    this.runs.push(request);
    const runId = request.runId ?? `run-${this.runs.length}`;
    const done = Promise.resolve({ runId, sessionKey: request.sessionKey, status: 'ok' as const, text: this.answer(request.message), startedAt: 0, endedAt: 0, media: [], toolRounds: 0 });
    return { runId, sessionKey: request.sessionKey, acceptedAt: 0, done, abort: () => {} };
  }
  subscribe() {
    return () => {};
  }
  async wait() {
    return undefined;
  }
  abort(): string[] {
    return [];
  }
  modelName() {
    return 'answering';
  }
  async close() {}
}

export function recordingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { log: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') }, lines };
}
