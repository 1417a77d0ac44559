/**
 * Telegram end to end: a real gateway process whose channels.telegram points at a local fake of the Bot
 * API (the real wire format), and the scripted model. A stranger gets a pairing code and never reaches
 * the agent; the owner approves the code with the CLI; the next message is an agent run whose answer
 * arrives in the chat, with a typing indicator first; the channel's state is in `tether channels status`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestNode, sharedToken } from './helpers/clients.js';
import { startFakeTelegram, type FakeTelegram } from './helpers/fake-telegram.js';
import { cleanup, eventually, runTether, runTetherJson, startGatewayProcess, tempDir, type GatewayProcess } from './helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from './helpers/scripted-model.js';

const TOKEN = '123456:TEST-token-not-real';
let telegram: FakeTelegram;
let model: ScriptedModel;
let gateway: GatewayProcess;

beforeAll(async () => {
  telegram = await startFakeTelegram({ token: TOKEN, botUsername: 'tether_test_bot' });
  model = await startScriptedModel();
  const stateDir = tempDir('tether-tg-gw-');
  writeFileSync(
    join(stateDir, 'tether.json'),
    JSON.stringify({ agent: { model: 'scripted-model', baseUrl: model.url }, channels: { telegram: { botToken: TOKEN, apiRoot: telegram.apiRoot, owners: ['42'] } } }),
  );
  gateway = await startGatewayProcess({ stateDir });
}, 30_000);
afterAll(async () => {
  await cleanup();
  await model?.close();
  await telegram?.close();
});

describe('Telegram channel', () => {
  it('is connected, and says so in tether channels status', async () => {
    const status = await eventually(async () => {
      const result = await runTetherJson<{ channels: { name: string; state: string }[] }>(['channels', 'status', '--state-dir', gateway.stateDir]);
      return result.channels.find((c) => c.name === 'telegram' && c.state === 'connected');
    }, 15_000, 250);
    expect(status.state).toBe('connected');
    // The same state in health and `tether gateway status`, and the configured channels in `channels list`.
    const health = await runTetherJson<{ channels: { name: string; state: string; lastActivityAtMs: number }[] }>(['health', '--state-dir', gateway.stateDir]);
    expect(health.channels).toEqual([expect.objectContaining({ name: 'telegram', state: 'connected', lastActivityAtMs: expect.any(Number) })]);
    const human = await runTether(['gateway', 'status', '--state-dir', gateway.stateDir]);
    expect(human.stdout).toMatch(/^Channels: +telegram connected/m);
    const list = await runTetherJson<{ channels: { name: string; configured: boolean; owners?: number }[] }>(['channels', 'list', '--state-dir', gateway.stateDir]);
    expect(list.channels.find((c) => c.name === 'telegram')).toEqual({ name: 'telegram', configured: true, dmPolicy: 'pairing', allowFrom: 0, owners: 1, approvers: 0 });
    // A node (even a freshly paired one) sees only name and state: reasons and times are for operators.
    const node = await connectTestNode(gateway.url, { displayName: 'peek', commands: [], token: sharedToken(gateway.stateDir) });
    try {
      const seen = await node.client.request<{ channels: unknown[] }>('health', {});
      expect(seen.channels).toEqual([{ name: 'telegram', state: 'connected' }]);
    } finally {
      await node.client.close();
    }
    const table = await runTether(['channels', 'list', '--state-dir', gateway.stateDir]);
    expect(table.stdout).not.toContain(TOKEN);
    expect(gateway.output()).not.toContain(TOKEN);
  });

  it('a stranger gets a pairing code and no agent; approved, their next message is answered in the chat', async () => {
    telegram.queueMessage({ chatId: 666, chatType: 'private', fromId: 666, text: 'hello, who are you?', firstName: 'Mallory' });
    const codeReply = await telegram.waitForCall('sendMessage', (call) => Number(call.params.chat_id) === 666);
    const code = /pairing code is ([A-Z0-9]{8})/.exec(String(codeReply.params.text))?.[1];
    expect(code).toBeDefined();
    expect(model.requests).toHaveLength(0);

    const approved = await runTether(['channels', 'pairing', 'approve', code!, '--state-dir', gateway.stateDir]);
    expect(approved.code, approved.stderr).toBe(0);

    model.script(reply.text('All quiet on the mesh.'));
    telegram.queueMessage({ chatId: 666, chatType: 'private', fromId: 666, text: 'anything happening?' });
    const answer = await telegram.waitForCall('sendMessage', (call) => Number(call.params.chat_id) === 666 && String(call.params.text).includes('All quiet'));
    expect(answer.params.text).toBe('All quiet on the mesh.');
    expect(telegram.calls.some((call) => call.method === 'sendChatAction' && Number(call.params.chat_id) === 666)).toBe(true);
    // The run was in the stranger-turned-peer's own session, with their words as the user message.
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'anything happening?' });
    const { sessions } = await runTetherJson<{ sessions: { key: string }[] }>(['sessions', 'list', '--state-dir', gateway.stateDir]);
    expect(sessions.map((s) => s.key)).toContain('agent:main:telegram:dm:666');
  }, 30_000);
});
