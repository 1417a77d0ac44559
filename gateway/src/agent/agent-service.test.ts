import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '@tether/protocol';
import { resolveAgentConfig } from './agent-config.js';
import { EmbeddedAgent } from './agent-service.js';
import { ModelError, type ModelClient, type ModelRequest, type ModelTurn } from './model/types.js';
import { SessionStore } from './sessions/session-store.js';
import type { AgentStreamEvent } from './service-types.js';
import type { ToolBackend, ToolCallOutcome } from './tool-backend.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const log = { info: () => {}, warn: () => {}, error: () => {} } as never;

/** A model that answers each request with `answer(request, n)`; it waits for the abort when told to hang. */
function fakeModel(answer: (request: ModelRequest, n: number) => ModelTurn | 'hang', contextWindow = 100_000): ModelClient & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  return {
    model: 'fake',
    baseUrl: 'http://127.0.0.1:1/v1',
    requests,
    profile: async () => ({ vision: false, toolStreaming: true, parallelToolCalls: 'ignored', contextWindow }),
    complete: async (request, options) => {
      requests.push(structuredClone(request));
      const turn = answer(request, requests.length);
      if (turn === 'hang') {
        await new Promise((_, reject) => options?.signal?.addEventListener('abort', () => reject(new ModelError('MODEL_ABORTED', 'aborted'))));
      }
      const done = turn as ModelTurn;
      if (done.text) options?.onText?.(done.text);
      return done;
    },
  };
}

const tools: ToolBackend = {
  listTools: async () => [{ name: 'list_nodes', description: 'List nodes.', parameters: { type: 'object', properties: {}, additionalProperties: false } }],
  callTool: async (): Promise<ToolCallOutcome> => ({ text: '{"nodes":[]}', images: [], isError: false, durationMs: 1 }),
  onToolsChanged: () => () => {},
};

async function agentWith(model: ModelClient | undefined, agent: Record<string, unknown> = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), 'tether-agent-svc-'));
  dirs.push(stateDir);
  const sessions = await SessionStore.open({ stateDir });
  const config = resolveAgentConfig(agent as never, join(stateDir, 'agents', 'main'), {});
  return { agent: new EmbeddedAgent({ config, configPath: join(stateDir, 'tether.json'), sessions, tools, model, log }), sessions, stateDir };
}

const text = (t: string): ModelTurn => ({ text: t, toolCalls: [], finishReason: 'stop' });
const callTools = (n: number): ModelTurn => ({ text: '', toolCalls: [{ id: `c${n}`, name: 'list_nodes', argumentsText: '{}', arguments: {} }], finishReason: 'tool_calls' });

describe('EmbeddedAgent', () => {
  it('refuses to start without a model, naming what to set', async () => {
    const { agent } = await agentWith(undefined);
    expect(() => agent.start({ sessionKey: 'agent:main:main', message: 'hi' })).toThrow(GatewayError);
    expect(() => agent.start({ sessionKey: 'agent:main:main', message: 'hi' })).toThrow(/agent\.model.*TETHER_AGENT_MODEL/);
  });

  it('after the tool-round cap, asks once more without tools and ends with that answer', async () => {
    const model = fakeModel((request, n) => (request.tools.length > 0 ? callTools(n) : text('out of budget')));
    const { agent } = await agentWith(model, { maxToolRounds: 3 });
    const outcome = await agent.start({ sessionKey: 'agent:main:main', message: 'loop forever' }).done;
    expect(outcome).toMatchObject({ status: 'ok', text: 'out of budget', toolRounds: 3 });
    expect(model.requests).toHaveLength(4);
    expect(model.requests[3]!.tools).toEqual([]);
    expect(model.requests[3]!.messages.at(-1)).toMatchObject({ role: 'system', content: expect.stringContaining('tool budget') });
  });

  it('a run past its deadline ends as timeout, with the partial text, and the transcript says so', async () => {
    const model = fakeModel(() => 'hang');
    const { agent, sessions } = await agentWith(model);
    const outcome = await agent.start({ sessionKey: 'agent:main:main', message: 'slow', timeoutMs: 50 }).done;
    expect(outcome.status).toBe('timeout');
    expect(outcome.error?.code).toBe('AGENT_TIMEOUT');
    expect(sessions.get('agent:main:main')?.lastRun?.status).toBe('timeout');
  });

  it('abort ends the run as aborted and the next queued run still runs', async () => {
    const model = fakeModel((_r, n) => (n === 1 ? 'hang' : text('second')));
    const { agent } = await agentWith(model);
    const events: AgentStreamEvent[] = [];
    agent.subscribe((event) => events.push(event));
    const first = agent.start({ sessionKey: 'agent:main:main', message: 'one', runId: 'r1' });
    const second = agent.start({ sessionKey: 'agent:main:main', message: 'two', runId: 'r2' });
    await new Promise((r) => setTimeout(r, 20));
    expect(model.requests).toHaveLength(1); // one run at a time per session
    expect(agent.abort({ sessionKey: 'agent:main:main', runId: 'r1' })).toEqual(['r1']);
    expect((await first.done).status).toBe('aborted');
    expect((await second.done).text).toBe('second');
    const ends = events.filter((e) => e.stream === 'lifecycle' && e.data.phase === 'end').map((e) => [e.runId, e.data.aborted ?? false]);
    expect(ends).toEqual([['r1', true], ['r2', false]]);
    expect(events.filter((e) => e.runId === 'r2').map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('a repeated run id is the same run, not a second one', async () => {
    const model = fakeModel(() => text('once'));
    const { agent } = await agentWith(model);
    const a = agent.start({ sessionKey: 'agent:main:main', message: 'x', runId: 'same' });
    const b = agent.start({ sessionKey: 'agent:main:main', message: 'x', runId: 'same' });
    await Promise.all([a.done, b.done]);
    const c = agent.start({ sessionKey: 'agent:main:main', message: 'x', runId: 'same' });
    expect((await c.done).text).toBe('once');
    expect(model.requests).toHaveLength(1);
    // The same key for another message or session is refused: it must not hand back that run.
    expect(() => agent.start({ sessionKey: 'agent:main:main', message: 'y', runId: 'same' })).toThrow(/idempotency key already belongs/);
    expect(() => agent.start({ sessionKey: 'agent:main:other', message: 'x', runId: 'same' })).toThrow(/idempotency key already belongs/);
  });

  it('a model error ends the run as error with the model code', async () => {
    const model = fakeModel(() => {
      throw new ModelError('MODEL_RATE_LIMITED', 'slow down');
    });
    const { agent } = await agentWith(model);
    const outcome = await agent.start({ sessionKey: 'agent:main:main', message: 'x' }).done;
    expect(outcome).toMatchObject({ status: 'error', error: { code: 'MODEL_RATE_LIMITED', message: 'slow down' } });
  });

  it('history beyond the context window is trimmed by whole turns and the transcript records it', async () => {
    const model = fakeModel(() => text('ok'), 2_048);
    const { agent, sessions, stateDir } = await agentWith(model);
    for (let i = 0; i < 6; i++) await agent.start({ sessionKey: 'agent:main:main', message: `turn ${i} ${'x'.repeat(1_500)}` }).done;
    const last = model.requests.at(-1)!.messages;
    expect(last.at(-1)).toMatchObject({ role: 'user', content: expect.stringMatching(/^turn 5/) });
    expect(last.filter((m) => m.role === 'user').length).toBeLessThan(6);
    const sessionId = sessions.get('agent:main:main')!.sessionId;
    const transcript = readFileSync(join(stateDir, 'agents', 'main', 'sessions', `${sessionId}.jsonl`), 'utf8');
    expect(transcript).toContain('"type":"compaction"');
    expect(transcript).toContain('"how":"trimmed"');
  });
});

describe('EmbeddedAgent limits', () => {
  it('refuses a run beyond the cap of runs going or queued, as retryable', async () => {
    const { MAX_ACTIVE_RUNS } = await import('./agent-service.js');
    const model = fakeModel(() => 'hang');
    const { agent } = await agentWith(model);
    const handles = Array.from({ length: MAX_ACTIVE_RUNS }, (_, i) => agent.start({ sessionKey: `agent:main:s${i}`, message: 'x' }));
    let refusal: unknown;
    try {
      agent.start({ sessionKey: 'agent:main:one-more', message: 'x' });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(GatewayError);
    expect((refusal as GatewayError).detailCode).toBe('AGENT_BUSY');
    expect((refusal as GatewayError).retryable).toBe(true);
    await agent.close();
    expect((await Promise.all(handles.map((h) => h.done))).every((o) => o.status === 'aborted')).toBe(true);
  });
});
