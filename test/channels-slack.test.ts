/**
 * Slack end to end: a real gateway process whose channels.slack points at a local fake of Slack (Web
 * API and Socket Mode, the real wire formats) and the scripted model. A stranger gets a pairing code
 * and never reaches the agent; the owner approves the code with the CLI; the next message is an agent
 * run whose answer arrives in the DM. An owner's " /status" is answered without the agent. A dropped
 * Socket Mode connection is reconnected and messages flow again. An exec approval is posted to the
 * approver's DM with buttons: a press from someone else changes nothing, the approver's press runs the
 * command and the message loses its buttons.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeExecPolicy } from '../node-agent/src/exec-policy/policy-file.js';
import { startFakeSlack, type FakeSlack, type FakeSlackCall } from './helpers/fake-slack.js';
import { cleanup, eventually, ownerTokenEnv, runTether, runTetherJson, spawnTether, startGatewayProcess, tempDir, type GatewayProcess } from './helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from './helpers/scripted-model.js';

const BOT = 'xoxb-1234-5678-e2e-bot-secret';
const APP = 'xapp-1-A0FAKE-9999-e2e-app-secret';
const APPROVER = 'U0APPROVER';
let slack: FakeSlack;
let model: ScriptedModel;
let gateway: GatewayProcess;

const posted = (channel: string, match: (text: string) => boolean = () => true) => slack.waitForCall('chat.postMessage', (call: FakeSlackCall) => call.params.channel === channel && !call.error && match(String(call.params.text)));

beforeAll(async () => {
  slack = await startFakeSlack({ botToken: BOT, appToken: APP });
  model = await startScriptedModel();
  const stateDir = tempDir('tether-slack-gw-');
  writeFileSync(
    join(stateDir, 'tether.json'),
    JSON.stringify({
      agent: { model: 'scripted-model', baseUrl: model.url },
      channels: { slack: { botToken: '${TEST_SLACK_BOT_TOKEN}', appToken: APP, apiUrl: slack.apiUrl, allowFrom: [APPROVER], owners: [APPROVER], approvers: [`slack:${APPROVER}`] } },
    }),
  );
  process.env.TEST_SLACK_BOT_TOKEN = BOT;
  gateway = await startGatewayProcess({ stateDir });
}, 30_000);
afterAll(async () => {
  delete process.env.TEST_SLACK_BOT_TOKEN;
  await cleanup();
  await model?.close();
  await slack?.close();
});

const channelState = () =>
  runTetherJson<{ channels: { name: string; state: string; reason?: string }[] }>(['channels', 'status', '--state-dir', gateway.stateDir]).then((r) => r.channels.find((c) => c.name === 'slack'));

describe('Slack channel', () => {
  it('is connected over Socket Mode, and says so in tether channels status; no token in the output', async () => {
    const status = await eventually(async () => {
      const slackState = await channelState();
      return slackState?.state === 'connected' ? slackState : undefined;
    }, 15_000, 250);
    expect(status.state).toBe('connected');
    expect(slack.calls.find((c) => c.method === 'apps.connections.open')?.auth).toBe('app');
    expect(gateway.output()).not.toContain('e2e-bot-secret');
    expect(gateway.output()).not.toContain('e2e-app-secret');
  });

  it('a stranger gets a pairing code and no agent; approved, their next message is answered in the DM', async () => {
    const envelope = slack.sendMessage({ channel: 'D0MALLORY', user: 'U0MALLORY', text: 'hello, who are you?', extra: { user_profile: { display_name: 'Mallory' } } });
    const codeReply = await posted('D0MALLORY');
    const code = /pairing code is ([A-Z0-9]{8})/.exec(String(codeReply.params.text))?.[1];
    expect(code).toBeDefined();
    expect(await slack.waitForAck(envelope)).toBeDefined();
    expect(model.requests).toHaveLength(0);

    const approved = await runTether(['channels', 'pairing', 'approve', code!, '--state-dir', gateway.stateDir]);
    expect(approved.code, approved.stderr).toBe(0);

    model.script(reply.text('All quiet on the mesh.'));
    slack.sendMessage({ channel: 'D0MALLORY', user: 'U0MALLORY', text: 'anything happening?' });
    const answer = await posted('D0MALLORY', (text) => text.includes('All quiet'));
    expect(answer.params.text).toBe('All quiet on the mesh.');
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'anything happening?' });
    const { sessions } = await runTetherJson<{ sessions: { key: string }[] }>(['sessions', 'list', '--state-dir', gateway.stateDir]);
    expect(sessions.map((s) => s.key)).toContain('agent:main:slack:dm:U0MALLORY');
  }, 30_000);

  it('an owner\'s " /status" (a space first, past Slack\'s own slash commands) is answered without the agent; a stranger\'s is refused', async () => {
    const requests = model.requests.length;
    slack.sendMessage({ channel: `D${APPROVER.slice(1)}`, user: APPROVER, text: ' /status' });
    const status = await posted(`D${APPROVER.slice(1)}`);
    expect(String(status.params.text)).toMatch(/nodes connected/);
    slack.sendMessage({ channel: 'D0MALLORY', user: 'U0MALLORY', text: ' /status' });
    const refused = await posted('D0MALLORY', (text) => text.includes('Only the owner'));
    expect(refused.params.text).toBe('Only the owner can use that command.');
    expect(model.requests.length).toBe(requests);
  });

  it('a dropped Socket Mode connection is reconnected and messages flow again', async () => {
    const before = slack.connectionCount();
    slack.dropSocket();
    await eventually(async () => (slack.connectionCount() > before && slack.openSockets() === 1 ? true : undefined), 15_000, 50);
    await eventually(async () => ((await channelState())?.state === 'connected' ? true : undefined), 15_000, 100);
    expect(gateway.output()).toMatch(/slack: the Socket Mode connection closed; reconnecting/);

    // Slack's own "disconnect" (a refresh) too.
    slack.disconnectSocket('refresh_requested');
    await eventually(async () => (slack.connectionCount() > before + 1 && slack.openSockets() === 1 ? true : undefined), 15_000, 50);

    model.script(reply.text('Still here.'));
    slack.sendMessage({ channel: 'D0MALLORY', user: 'U0MALLORY', text: 'are you back?' });
    const answer = await posted('D0MALLORY', (text) => text === 'Still here.');
    expect(answer.params.text).toBe('Still here.');
    expect(model.requests.at(-1)!.body.messages.at(-1)).toEqual({ role: 'user', content: 'are you back?' });
  }, 40_000);

  it('an exec approval goes to the approver with buttons; a stranger\'s press changes nothing, the approver\'s runs it', async () => {
    const nodeDir = tempDir('tether-slack-node-');
    await writeExecPolicy(nodeDir, { version: 1, security: 'allowlist', ask: 'on-miss', allowlist: [] });
    const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'slack-node'], ownerTokenEnv(gateway));
    await node.waitFor(/connected to .* as slack-node/);
    const marker = join(tempDir('tether-slack-cwd-'), 'approved from slack');
    const run = spawnTether(['nodes', 'run', '--node', 'slack-node', '--state-dir', gateway.stateDir, '--', 'touch', marker]);

    const dm = await slack.waitForCall('conversations.open', (call) => call.params.users === APPROVER);
    expect(dm.auth).toBe('bot');
    const message = await posted(`D${APPROVER.slice(1)}`, (text) => text.includes('Exec approval'));
    expect(String(message.params.text)).toContain('touch');
    const stored = [...slack.messages.values()].find((m) => m.channel === `D${APPROVER.slice(1)}` && m.text.includes('Exec approval'))!;
    const buttons = (stored.blocks.find((b) => b.type === 'actions') as { elements: { value: string; action_id: string }[] }).elements;
    const approveOnce = buttons.find((b) => b.value.endsWith(':o'))!;
    expect(approveOnce.value).toMatch(/^xa:[0-9a-f-]{36}:o$/);

    // Someone who is not an approver presses the button (in their own copy of the payload).
    const forged = slack.pressButton({ user: 'U0MALLORY', channel: 'D0MALLORY', messageTs: stored.ts, value: approveOnce.value, actionId: approveOnce.action_id });
    await slack.waitForAck(forged);
    const refusal = await slack.waitForCall('chat.postEphemeral', (call) => call.params.user === 'U0MALLORY');
    expect(String(refusal.params.text)).toContain('Only the approvers');
    expect(existsSync(marker)).toBe(false);
    const { approvals } = await runTetherJson<{ approvals: unknown[] }>(['approvals', 'list', '--state-dir', gateway.stateDir]);
    expect(approvals).toHaveLength(1);

    const press = slack.pressButton({ user: APPROVER, userName: 'approver', channel: stored.channel, messageTs: stored.ts, value: approveOnce.value, actionId: approveOnce.action_id });
    await slack.waitForAck(press);
    expect(await run.exited).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const ack = await slack.waitForCall('chat.postEphemeral', (call) => call.params.user === APPROVER);
    expect(ack.params.text).toBe('Approved once.');
    // Edited: the actions block (the buttons) is gone, the text stays plain_text, and names the answerer by id.
    await eventually(async () => (slack.messages.get(`${stored.channel}:${stored.ts}`)!.blocks.every((b) => b.type !== 'actions') ? true : undefined), 10_000, 50);
    expect(slack.messages.get(`${stored.channel}:${stored.ts}`)!.text).toContain(`Approved once by approver (${APPROVER}).`);

    // Pressed again after it was answered: told so, nothing runs twice.
    slack.pressButton({ user: APPROVER, channel: stored.channel, messageTs: stored.ts, value: approveOnce.value, actionId: approveOnce.action_id });
    const again = await slack.waitForCall('chat.postEphemeral', (call) => call.params.user === APPROVER && call !== ack);
    expect(String(again.params.text)).toContain('already answered');
    expect(gateway.output()).not.toContain('TETHER-UNCAUGHT');
    expect(gateway.output()).not.toContain('e2e-bot-secret');
  }, 60_000);
});
