import { describe, expect, it } from 'vitest';
import { GatewayError, hasUnsafeChars, type AgentEvent, type AgentFinal } from '@tether/protocol';
import { agentParams, AsyncQueue, renderRun, runOutcome, sendAgentRequest, type RunSignal } from './agent-run.js';

const RUN = 'run-1';

function event(stream: string, data: Record<string, unknown>, runId = RUN, seq = 1): RunSignal {
  const payload: AgentEvent = { runId, seq, stream, ts: 0, sessionKey: 'agent:main:main', data };
  return { kind: 'event', event: payload };
}

function final(status: AgentFinal['status'], text = 'done', summary = 'completed'): RunSignal {
  return {
    kind: 'final',
    final: { runId: RUN, status, summary, result: { payloads: [{ text }], meta: { durationMs: 5, agentMeta: { sessionId: 's1', sessionKey: 'agent:main:main' } } } },
  };
}

const accepted: RunSignal = { kind: 'accepted', accepted: { runId: RUN, status: 'accepted', acceptedAt: 1 } };

async function* from(signals: RunSignal[]): AsyncIterable<RunSignal> {
  for (const signal of signals) {
    await Promise.resolve();
    yield signal;
  }
}

async function render(signals: RunSignal[], runIds: string[] = []) {
  let out = '';
  const result = await renderRun(from(signals), (chunk) => (out += chunk), { runIds });
  return { out, result };
}

describe('renderRun', () => {
  it('streams a whole run: text, tool steps with node, duration, saved files and an approval, then the final', async () => {
    const { out, result } = await render([
      accepted,
      event('lifecycle', { phase: 'start' }),
      event('assistant', { text: 'Taking', delta: 'Taking' }),
      event('assistant', { text: 'Taking a photo.', delta: ' a photo.' }),
      event('tool', { phase: 'start', name: 'nodes', toolCallId: 't1', args: { command: 'camera.snap' }, node: 'kitchen-pi' }),
      event('tool', { phase: 'result', name: 'nodes', toolCallId: 't1', isError: false, durationMs: 2100, node: 'kitchen-pi', command: 'camera.snap', savedTo: ['/m/a.jpg'] }),
      event('tool', { phase: 'start', name: 'nodes', toolCallId: 't2', args: { command: 'system.run' }, node: 'kitchen-pi' }),
      event('tool', { phase: 'result', name: 'nodes', toolCallId: 't2', isError: false, durationMs: 40, pendingApprovalId: 'ap1' }),
      event('assistant', { text: 'Done: the photo is saved.', delta: 'Done: the photo is saved.' }),
      event('lifecycle', { phase: 'end' }),
      final('ok', 'Done: the photo is saved.'),
    ]);
    expect(out).toBe(
      [
        'Taking a photo.',
        '[tool] nodes · node kitchen-pi · camera.snap …',
        '[tool] nodes · node kitchen-pi · camera.snap · ok 2.1s',
        '       saved /m/a.jpg',
        '[tool] nodes · node kitchen-pi · system.run …',
        '[tool] nodes · node kitchen-pi · system.run · waiting for approval 40ms',
        '       waiting for approval ap1: tether approvals approve ap1',
        'Done: the photo is saved.',
        '',
      ].join('\n'),
    );
    expect(result.final?.status).toBe('ok');
    expect(result.runId).toBe(RUN);
    expect(result.sessionKey).toBe('agent:main:main');
  });

  it('ignores other runs, and holds events that arrive before the run is accepted', async () => {
    const { out } = await render([
      event('assistant', { text: 'early ' }),
      event('assistant', { text: 'someone else' }, 'other-run'),
      accepted,
      event('assistant', { text: 'early reply' }),
      event('assistant', { text: 'not mine' }, 'other-run'),
      final('ok'),
    ]);
    expect(out).toBe('early reply\n');
  });

  it('shows events at once when the run id is known up front (the idempotency key)', async () => {
    const { out } = await render([event('assistant', { text: 'hi' }), event('assistant', { text: 'x' }, 'other'), final('ok', 'hi')], [RUN]);
    expect(out).toBe('hi\n');
  });

  it('prints the final text when no assistant events came', async () => {
    const { out } = await render([accepted, final('ok', 'only in the final')]);
    expect(out).toBe('only in the final\n');
  });

  it('ends the line and returns the error res', async () => {
    const error = new GatewayError({ code: 'UNAVAILABLE', message: 'no model: set agent.model', details: { code: 'AGENT_NOT_CONFIGURED' } });
    const { out, result } = await render([accepted, event('assistant', { text: 'par' }), { kind: 'error', error }]);
    expect(out).toBe('par\n');
    expect(result.error).toBe(error);
    expect(result.final).toBeUndefined();
  });

  it('a source that ends without a final is an error', async () => {
    const { result } = await render([accepted]);
    expect(String(result.error)).toContain('ended before the run did');
  });

  it('hostile text, tool and node names from a peer never reach the terminal raw', async () => {
    const { out } = await render([
      accepted,
      event('assistant', { text: 'ok\r\x1b[2K$ sudo rm -rf /\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\\n' }),
      event('tool', { phase: 'start', name: 'no\x1b[8mdes', toolCallId: 'x', args: {}, node: 'pi\r\x1b[1A' }),
      event('tool', { phase: 'result', name: 'no\x1b[8mdes', toolCallId: 'x', isError: true, durationMs: 1, node: 'pi\r\x1b[1A', savedTo: ['/x\x9b2J'] }),
      final('ok'),
    ]);
    expect(hasUnsafeChars(out.replace(/\n/g, ''))).toBe(false);
    const lines = out.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('ok[2K$ sudo rm -rf /]8;;http://evil\\link]8;;\\');
    expect(lines[2]).toBe('[tool] no\\x1b[8mdes · node pi\\x0d\\x1b[1A · failed 1ms');
    expect(lines[3]).toBe('       saved /x\\x9b2J');
  });
});

describe('AsyncQueue', () => {
  it('delivers pushes made before and after the consumer waits, then ends on close', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    const seen: number[] = [];
    const done = (async () => {
      for await (const n of queue) seen.push(n);
    })();
    await Promise.resolve();
    queue.push(2);
    queue.push(3);
    queue.close();
    queue.push(4);
    await done;
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe('sendAgentRequest', () => {
  it('asks for the final answer, feeds accepted then final into the queue, and sets no deadline without --timeout', async () => {
    const calls: unknown[] = [];
    const client = {
      request: async (method: string, params: unknown, options: { expectFinal?: boolean; timeoutMs?: number; onAccepted?: (p: unknown) => void }) => {
        calls.push({ method, params, expectFinal: options.expectFinal, timeoutMs: options.timeoutMs });
        options.onAccepted?.({ runId: RUN, status: 'accepted', acceptedAt: 1 });
        return { runId: RUN, status: 'ok', summary: 'completed' };
      },
    };
    const queue = new AsyncQueue<RunSignal>();
    const params = agentParams({ message: 'hi', idempotencyKey: 'k1' });
    sendAgentRequest(client as never, params, queue);
    const kinds: string[] = [];
    for await (const signal of queue) {
      kinds.push(signal.kind);
      if (signal.kind === 'final') break;
    }
    expect(kinds).toEqual(['accepted', 'final']);
    expect(calls).toEqual([{ method: 'agent', params: { message: 'hi', idempotencyKey: 'k1' }, expectFinal: true, timeoutMs: undefined }]);
  });

  it('with a run timeout, sends it in seconds and waits that long plus a margin', async () => {
    let seen: { params?: unknown; timeoutMs?: number } = {};
    const client = {
      request: async (_m: string, params: unknown, options: { timeoutMs?: number }) => {
        seen = { params, timeoutMs: options.timeoutMs };
        throw new GatewayError({ code: 'UNAVAILABLE', message: 'x' });
      },
    };
    const queue = new AsyncQueue<RunSignal>();
    sendAgentRequest(client as never, agentParams({ message: 'hi', sessionKey: 'agent:main:work', timeoutS: 60, idempotencyKey: 'k' }), queue);
    for await (const signal of queue) {
      expect(signal.kind).toBe('error');
      break;
    }
    expect(seen).toEqual({ params: { message: 'hi', idempotencyKey: 'k', sessionKey: 'agent:main:work', timeout: 60 }, timeoutMs: 90_000 });
  });
});

describe('runOutcome', () => {
  const result = (signal: RunSignal) => (signal.kind === 'final' ? { final: signal.final } : {});

  it('maps statuses to exit codes', () => {
    expect(runOutcome(result(final('ok')), false)).toEqual({ code: 0 });
    expect(runOutcome(result(final('timeout', '', 'deadline passed')), false)).toEqual({ code: 124, message: 'the run timed out: deadline passed' });
    expect(runOutcome(result(final('aborted', '', 'aborted')), false)).toEqual({ code: 1, message: 'the run was aborted: aborted' });
    expect(runOutcome(result(final('error', '', 'model error')), false)).toEqual({ code: 1, message: 'the run failed: model error' });
  });

  it('Ctrl-C is 130 whether the final said aborted or never came', () => {
    expect(runOutcome(result(final('aborted')), true).code).toBe(130);
    expect(runOutcome({ error: new Error('aborted') }, true).code).toBe(130);
    // A run that finished ok before the abort landed is still ok.
    expect(runOutcome(result(final('ok')), true).code).toBe(0);
  });

  it('an error res is handed back as it is (its message names the config keys)', () => {
    const error = new GatewayError({ code: 'UNAVAILABLE', message: 'set agent.model', details: { code: 'AGENT_NOT_CONFIGURED' } });
    expect(runOutcome({ error }, false)).toEqual({ code: 1, error });
  });
});
