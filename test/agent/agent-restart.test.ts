/**
 * A gateway that dies mid-run loses no session: at the next start the run is marked cut off (never
 * left looking alive), the session lists with its history, and the next run carries that history to
 * the model as a valid conversation (the dangling tool call answered).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, startGatewayProcess, tempDir } from '../helpers/processes.js';
import { reply, startScriptedModel } from '../helpers/scripted-model.js';
import { follow, runAgent, sent, startAgentGateway } from './agent-helpers.js';

afterAll(cleanup);

describe('agent across a gateway restart', () => {
  it('marks the cut-off run and continues the session with its history', async () => {
    const model = await startScriptedModel();
    const stateDir = tempDir('tether-agent-restart-');
    const first = await startAgentGateway(model, {}, stateDir);
    const operator = await follow(first);
    // The model asks for a tool, then hangs on the next turn: the gateway dies with a call in the transcript.
    model.script(reply.toolCalls([{ name: 'list_nodes', arguments: {} }]), reply.hang());
    await operator.client.request('agent', { message: 'remember the number 42', sessionKey: 'agent:main:restart', idempotencyKey: 'restart-1' });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the second model request never came')), 10_000);
      const poll = setInterval(() => {
        if (model.requests.length >= 2) (clearInterval(poll), clearTimeout(timer), resolve());
      }, 20);
    });
    first.child.kill('SIGKILL');
    await first.exited;
    await operator.client.close();

    const second = await startGatewayProcess({ stateDir });
    const again = await follow(second);
    const { sessions } = await again.client.request<any>('sessions.list', {});
    expect(sessions.find((s: any) => s.key === 'agent:main:restart')?.lastRun).toMatchObject({ runId: 'restart-1', status: 'cut-off' });

    model.script(reply.text('The number was 42.'));
    const before = model.requests.length;
    const { wait } = await runAgent(again, 'what was the number?', 'agent:main:restart');
    expect(wait.status).toBe('ok');
    const messages = sent(model, before);
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'user']);
    expect(messages[1].content).toBe('remember the number 42');
    expect(messages[2].tool_calls[0].function.name).toBe('list_nodes');
    expect(messages[3].tool_call_id).toBe(messages[2].tool_calls[0].id);
    expect(messages[4].content).toBe('what was the number?');
    await again.client.close();
    await model.close();
  }, 60_000);
});
