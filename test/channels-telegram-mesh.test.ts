/**
 * Telegram and the mesh, end to end with real processes: a real gateway whose channels.telegram points
 * at the fake Bot API, the scripted model, a camera node (real ffmpeg test pattern) and a node whose exec
 * policy asks. A photo asked for in the chat arrives as a photo; an exec approval is posted to the
 * approver with buttons, answered by a press, runs exactly once, and the message then says who answered;
 * two 409 Conflicts from getUpdates are recovered from without losing the next message.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeExecPolicy } from '../node-agent/src/exec-policy/policy-file.js';
import { startFakeTelegram, type FakeTelegram, type FakeTelegramCall } from './helpers/fake-telegram.js';
import { cleanup, eventually, ownerTokenEnv, runTetherJson, spawnTether, startGatewayProcess, tempDir, type GatewayProcess } from './helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from './helpers/scripted-model.js';

const TOKEN = '987654:MESH-token-not-real';
const OWNER = 42;
let telegram: FakeTelegram;
let model: ScriptedModel;
let gateway: GatewayProcess;

const toOwner = (call: FakeTelegramCall) => Number(call.params.chat_id) === OWNER;
/** Resolves when a sendMessage to the owner contains `text`, counting only calls after `from`. */
const ownerMessage = (text: string, from = 0) => telegram.waitForCall('sendMessage', (call) => telegram.calls.indexOf(call) >= from && toOwner(call) && String(call.params.text).includes(text));

beforeAll(async () => {
  telegram = await startFakeTelegram({ token: TOKEN, botUsername: 'mesh_bot' });
  model = await startScriptedModel({ family: 'openai' });
  const stateDir = tempDir('tether-tg-mesh-');
  writeFileSync(
    join(stateDir, 'tether.json'),
    JSON.stringify({
      agent: { model: 'scripted-model', baseUrl: model.url, profile: { vision: true } },
      channels: { telegram: { botToken: TOKEN, apiRoot: telegram.apiRoot, dmPolicy: 'allowlist', allowFrom: [String(OWNER)], owners: [String(OWNER)], approvers: [String(OWNER)] } },
    }),
  );
  gateway = await startGatewayProcess({ stateDir });
  const cameraDir = tempDir('tether-tg-kitchen-');
  writeFileSync(join(cameraDir, 'node-config.json'), JSON.stringify({ version: 1, camera: { source: 'lavfi:testsrc=s=320x240:r=5' } }));
  const askDir = tempDir('tether-tg-nas-');
  await writeExecPolicy(askDir, { version: 1, security: 'allowlist', ask: 'on-miss', allowlist: [] });
  const camera = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', cameraDir, '--display-name', 'kitchen'], ownerTokenEnv(gateway));
  const nas = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', askDir, '--display-name', 'nas'], ownerTokenEnv(gateway));
  await camera.waitFor(/connected to .*offering .*camera\.snap/, 20_000);
  await nas.waitFor(/connected to .* as nas/, 20_000);
  await eventually(async () => {
    const { channels } = await runTetherJson<{ channels: { name: string; state: string }[] }>(['channels', 'status', '--state-dir', gateway.stateDir]);
    return channels.find((c) => c.name === 'telegram' && c.state === 'connected');
  }, 15_000, 250);
}, 60_000);
afterAll(async () => {
  await cleanup();
  await model?.close();
  await telegram?.close();
});

describe('Telegram and the mesh', () => {
  it('a photo asked for in the chat arrives as a photo with a caption naming the node', async () => {
    model.script(reply.toolCalls([{ name: 'camera_snap', arguments: { node: 'kitchen' } }]), reply.text('Here is the kitchen.'));
    telegram.queueMessage({ chatId: OWNER, chatType: 'private', fromId: OWNER, text: 'what does the kitchen camera see?' });
    const photo = await telegram.waitForCall('sendPhoto', toOwner);
    const file = photo.files.find((f) => f.field === 'photo');
    expect(file?.data.subarray(0, 2).toString('hex')).toBe('ffd8'); // a JPEG, sent as a file part
    expect(photo.params.caption).toBe('kitchen: camera.snap');
    await ownerMessage('Here is the kitchen.');
  }, 40_000);

  it('an exec approval answered by button runs the command exactly once, and the message says who answered', async () => {
    const out = join(tempDir('tether-tg-run-'), 'runs.log');
    const argv = ['sh', '-c', `echo ran >> '${out}'`];
    model.script(reply.toolCalls([{ name: 'run_command', arguments: { node: 'nas', command: argv } }]), reply.text('Waiting for your approval.'));
    const from = telegram.calls.length;
    telegram.queueMessage({ chatId: OWNER, chatType: 'private', fromId: OWNER, text: 'note that you ran on the NAS' });

    const asked = await telegram.waitForCall('sendMessage', (call) => telegram.calls.indexOf(call) >= from && toOwner(call) && String(call.params.text).startsWith('Exec approval'));
    const text = String(asked.params.text);
    expect(text).toContain('node nas wants to run');
    expect(text).toContain(`sh -c 'echo ran >> '\\''${out}'\\'''`);
    expect(text).toContain('program /');
    const messageId = asked.result!.message_id;
    const buttons = telegram.buttonsOf(OWNER, messageId);
    expect(buttons.map((b) => b.text)).toEqual(['Approve once', 'Deny']); // no Always for a shell: it would allow anything
    expect(existsSync(out)).toBe(false);
    await ownerMessage('Waiting for your approval.', from);

    telegram.queueCallbackQuery({ chatId: OWNER, messageId, fromId: OWNER, firstName: 'Ada', data: buttons[0]!.callback_data });
    const ack = await telegram.waitForCall('answerCallbackQuery');
    expect(ack.params.text).toBe('Approved once.');
    await eventually(async () => (existsSync(out) ? true : undefined), 15_000);
    const edit = await telegram.waitForCall('editMessageText', (call) => Number(call.params.message_id) === messageId);
    expect(String(edit.params.text)).toMatch(/Approved once by Ada \(42\)\.$/);
    // The buttons are gone (Telegram refuses a press of a button that is not there), and the code is spent.
    expect(telegram.buttonsOf(OWNER, messageId)).toEqual([]);
    const code = /Exec approval ([0-9A-F]{8})/.exec(text)![1]!;
    const before = telegram.calls.length;
    telegram.queueMessage({ chatId: OWNER, chatType: 'private', fromId: OWNER, text: `/approve ${code}` });
    await ownerMessage('already answered', before);
    expect(readFileSync(out, 'utf8')).toBe('ran\n');
    expect(model.requests.length).toBe(4); // photo run (2) + this run (2): the /approve reply never reached the agent
  }, 60_000);

  it('a photo sent in the chat reaches the model as an image with its caption', async () => {
    const jpeg = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#0f0' } }).jpeg().toBuffer();
    model.script(reply.text('A green square.'));
    const before = model.requests.length;
    const from = telegram.calls.length;
    telegram.queuePhoto({ chatId: OWNER, fromId: OWNER, data: jpeg, caption: 'what is on this photo?', width: 32, height: 24 });
    await ownerMessage('A green square.', from);
    const last = model.requests[before]!.body.messages.at(-1);
    expect(last.role).toBe('user');
    expect(JSON.stringify(last.content)).toContain('what is on this photo?');
    const image = (last.content as any[]).find((part) => part.type === 'image_url');
    expect(String(image.image_url.url)).toMatch(/^data:image\/jpeg;base64,/);
  }, 40_000);

  it('recovers from 409 Conflicts on getUpdates and answers the next message', async () => {
    await eventually(async () => (telegram.pendingPolls() === 1 ? true : undefined));
    telegram.conflictNow(1);
    model.script(reply.text('Still here.'));
    const from = telegram.calls.length;
    telegram.queueMessage({ chatId: OWNER, chatType: 'private', fromId: OWNER, text: 'are you there?' });
    await ownerMessage('Still here.', from);
    expect(gateway.output()).toMatch(/409 Conflict/);
    expect(gateway.output()).not.toContain(TOKEN);
  }, 40_000);
});
