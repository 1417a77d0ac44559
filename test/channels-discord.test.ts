/**
 * Discord end to end: a real gateway process whose channels.discord points at a local fake of Discord
 * (REST over HTTP and the Gateway WebSocket, the real wire format), and the scripted model. A DM from an
 * allowed user is answered; a 5,000-character answer with a code block arrives as messages of at most
 * 2,000 characters, in order, each with balanced fences; a guild message without a mention never reaches
 * the model; a dropped gateway connection is resumed and messages flow again; an exec approval is
 * answered with a button press by an approver (a stranger's press changes nothing).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeExecPolicy } from '../node-agent/src/exec-policy/policy-file.js';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordCall } from './helpers/fake-discord.js';
import { cleanup, eventually, ownerTokenEnv, runTetherJson, spawnTether, tempDir, type GatewayProcess } from './helpers/processes.js';
import { reply, startScriptedModel, type ScriptedModel } from './helpers/scripted-model.js';

const TOKEN = 'MTIwMDAwMDAwMDAwMDAwMDAwMQ.GtEsTt.e2e-secret-hmac-part-abcdef0123';
const GUILD = '1100000000000000001';
const GENERAL = '1100000000000000002';
const ADA = '1000000000000000042';
const MALLORY = '1000000000000000666';
const ADA_DM = '1000000000000000500';

let discord: FakeDiscord;
let model: ScriptedModel;
let gateway: GatewayProcess;

beforeAll(async () => {
  discord = await startFakeDiscord({ token: TOKEN, guilds: [{ id: GUILD, channels: [{ id: GENERAL, name: 'general' }] }] });
  model = await startScriptedModel();
  const stateDir = tempDir('tether-dc-gw-');
  writeFileSync(
    join(stateDir, 'tether.json'),
    JSON.stringify({
      agent: { model: 'scripted-model', baseUrl: model.url },
      channels: { discord: { token: '${TEST_DISCORD_TOKEN}', apiBase: discord.apiBase, allowFrom: [`discord:${ADA}`], groupAllowFrom: [ADA], approvers: [ADA] } },
    }),
  );
  // startGatewayProcess, with the token in the environment (the config names it as ${TEST_DISCORD_TOKEN}).
  const spawned = spawnTether(['gateway', 'run', '--port', '0', '--state-dir', stateDir], { TEST_DISCORD_TOKEN: TOKEN });
  const match = await spawned.waitFor(/\{"event":"listening","url":"([^"]+)","port":(\d+)/);
  gateway = { ...spawned, url: match[1]!, port: Number(match[2]), stateDir };
}, 30_000);
afterAll(async () => {
  await cleanup();
  await model?.close();
  await discord?.close();
});

const botMessages = (channelId: string): FakeDiscordCall[] => discord.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages`);
const noToken = (text: string) => {
  expect(text).not.toContain(TOKEN);
  for (const part of TOKEN.split('.')) expect(text).not.toContain(part);
};

async function channelState(): Promise<string | undefined> {
  const result = await runTetherJson<{ channels: { name: string; state: string }[] }>(['channels', 'status', '--state-dir', gateway.stateDir]);
  return result.channels.find((c) => c.name === 'discord')?.state;
}

/** Sends Ada's DM and waits for the bot's answer that contains `expect`. */
async function askInDm(text: string, expected: string): Promise<FakeDiscordCall> {
  discord.dispatchMessage({ channelId: ADA_DM, authorId: ADA, globalName: 'Ada', content: text });
  return discord.waitForCall('/channels/:id/messages', (c) => c.method === 'POST' && c.path === `/channels/${ADA_DM}/messages` && String(c.body.content).includes(expected), 20_000);
}

describe('Discord channel', () => {
  it('is connected, and says so in tether channels status', async () => {
    expect(await eventually(async () => ((await channelState()) === 'connected' ? 'connected' : undefined), 15_000, 250)).toBe('connected');
    noToken(gateway.output());
  });

  it('answers a DM from an allowed user, typing first', async () => {
    model.script(reply.text('All quiet on the mesh.'));
    const answer = await askInDm('anything happening?', 'All quiet');
    expect(answer.body.content).toBe('All quiet on the mesh.');
    expect(discord.calls.some((c) => c.method === 'POST' && c.path === `/channels/${ADA_DM}/typing`)).toBe(true);
    expect(model.requests.at(-1)!.body.messages.at(-1)).toEqual({ role: 'user', content: 'anything happening?' });
    const { sessions } = await runTetherJson<{ sessions: { key: string }[] }>(['sessions', 'list', '--state-dir', gateway.stateDir]);
    expect(sessions.map((s) => s.key)).toContain(`agent:main:discord:dm:${ADA}`);
  }, 30_000);

  it('a 5,000-character answer arrives in order as messages of at most 2,000 characters, no code block broken', async () => {
    const intro = `Here is the script you asked for. ${'It walks every node and reports its state. '.repeat(12)}`;
    const code = ['```ts', ...Array.from({ length: 80 }, (_, i) => `const step${String(i).padStart(2, '0')} = await node.invoke('status', { n: ${i} });`), '```'].join('\n');
    const outro = `That is all. ${'Run it from the gateway host with the owner token set. '.repeat(10)}END-OF-ANSWER`;
    const answer = `${intro}\n\n${code}\n\n${outro}`;
    expect(answer.length).toBeGreaterThan(5000);
    const before = botMessages(ADA_DM).length;
    // Streamed in 97-character pieces, so chunk boundaries in the stream fall anywhere.
    model.script(reply.text(answer.match(/[\s\S]{1,97}/g)!));
    await askInDm('write me the status script', 'END-OF-ANSWER');
    const chunks = botMessages(ADA_DM).slice(before).map((c) => String(c.body.content));
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(2000);
      expect(chunk.split('\n').filter((line) => /^\s*```/.test(line)).length % 2).toBe(0);
    }
    expect(chunks.at(-1)).toContain('END-OF-ANSWER');
    // The code block itself was cut: some chunk reopens it, with its language.
    expect(chunks.slice(1).some((chunk) => chunk.startsWith('```ts\n'))).toBe(true);
    // Glued back (a fence closed at a cut and reopened in the next chunk removed), it is the answer.
    const glued = chunks.join('\n').replace(/\n```\n```ts\n/g, '\n');
    const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
    expect(squash(glued)).toBe(squash(answer));
  }, 30_000);

  it('a stranger\'s DM gets a pairing code and never reaches the model', async () => {
    const requests = model.requests.length;
    const strangerDm = '1000000000000000667';
    discord.dispatchMessage({ channelId: strangerDm, authorId: MALLORY, globalName: 'Mallory\u202e', content: 'let me in' });
    const codeReply = await discord.waitForCall('/channels/:id/messages', (c) => c.method === 'POST' && c.path === `/channels/${strangerDm}/messages`, 20_000);
    expect(String(codeReply.body.content)).toMatch(/pairing code is [A-Z0-9]{8}/);
    expect(model.requests.length).toBe(requests);
  }, 30_000);

  it('a mention in a server channel from a group-allowed sender is answered there', async () => {
    model.script(reply.text('Answered in #general.'));
    discord.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: `<@${discord.bot.id}> status please`, mentions: [discord.bot.id] });
    const answer = await discord.waitForCall('/channels/:id/messages', (c) => c.method === 'POST' && c.path === `/channels/${GENERAL}/messages`, 20_000);
    expect(answer.body.content).toBe('Answered in #general.');
    expect(model.requests.at(-1)!.body.messages.at(-1)).toEqual({ role: 'user', content: 'status please' });
    const { sessions } = await runTetherJson<{ sessions: { key: string }[] }>(['sessions', 'list', '--state-dir', gateway.stateDir]);
    expect(sessions.map((s) => s.key)).toContain(`agent:main:discord:group:${GENERAL}`);
  }, 30_000);

  it('a guild message without a mention does not reach the model', async () => {
    const requests = model.requests.length;
    discord.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: 'talking among ourselves, no bot here' });
    model.script(reply.text('DM answered.'));
    await askInDm('still there?', 'DM answered.');
    expect(model.requests.length).toBe(requests + 1);
    expect(JSON.stringify(model.requests.slice(requests))).not.toContain('talking among ourselves');
    expect(botMessages(GENERAL)).toHaveLength(1); // only the answer to the mention above
  }, 30_000);

  it('a dropped gateway connection (1006) and an op 7 RECONNECT are resumed, and messages flow again', async () => {
    const resumes = discord.gatewayLog.filter((e) => e.op === 6).length;
    discord.dropConnection();
    await discord.waitForGateway(6, resumes + 1, 20_000);
    await gateway.waitFor(/discord: the gateway connection dropped; resuming/, 10_000);
    model.script(reply.text('Back after the drop.'));
    await askInDm('are you back?', 'Back after the drop.');

    discord.requestReconnect();
    await discord.waitForGateway(6, resumes + 2, 20_000);
    model.script(reply.text('Back after op 7.'));
    await askInDm('and now?', 'Back after op 7.');
    expect(await channelState()).toBe('connected');
    // Resumed each time: one IDENTIFY in all.
    expect(discord.gatewayLog.filter((e) => e.op === 2)).toHaveLength(1);
    noToken(gateway.output());
  }, 60_000);

  it('an approver answers an exec approval with a button; a stranger\'s press changes nothing', async () => {
    const nodeDir = tempDir('tether-dc-node-');
    await writeExecPolicy(nodeDir, { version: 1, security: 'allowlist', ask: 'on-miss', allowlist: [] });
    const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'ask-node'], ownerTokenEnv(gateway));
    await node.waitFor(/connected to .* as ask-node/, 20_000);

    const marker = join(tempDir('tether-dc-cwd-'), 'approved-from-discord');
    const run = spawnTether(['nodes', 'run', '--node', 'ask-node', '--state-dir', gateway.stateDir, '--', 'touch', marker]);
    // The approval goes to Ada's DM, opened by the bot (POST /users/@me/channels).
    const dmChannel = discord.dmChannelFor(ADA);
    const posted = await discord.waitForCall('/channels/:id/messages', (c) => c.method === 'POST' && c.path === `/channels/${dmChannel}/messages` && String(c.body.content).includes('Exec approval'), 20_000);
    expect(String(posted.body.content)).toContain('touch');
    const buttons = (posted.body.components as { components: { custom_id: string; label: string }[] }[])[0]!.components;
    expect(buttons.map((b) => b.label)).toEqual(['Approve once', 'Always allow touch', 'Deny']);
    const approve = buttons[0]!.custom_id;
    expect(approve).toMatch(/^xa:[0-9a-f-]{36}:o$/);
    const messageId = [...discord.messages.values()].find((m) => m.channel_id === dmChannel && m.content.includes('Exec approval'))!.id;

    // Mallory presses the same button (say, the message was forwarded): refused, ephemerally.
    const stranger = discord.dispatchButton({ channelId: dmChannel, userId: MALLORY, customId: approve, messageId });
    const refused = await eventually(async () => discord.interactionResponses.find((r) => r.interactionId === stranger), 10_000, 50);
    expect(refused).toMatchObject({ type: 4, data: { content: expect.stringContaining('Only the approvers'), flags: 64 | 4 } });
    expect(existsSync(marker)).toBe(false);

    const pressed = discord.dispatchButton({ channelId: dmChannel, userId: ADA, username: 'ada', customId: approve, messageId });
    expect(await run.exited).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const ack = await eventually(async () => discord.interactionResponses.find((r) => r.interactionId === pressed), 10_000, 50);
    expect(ack).toMatchObject({ type: 4, data: { content: 'Approved once.', flags: 64 | 4 } });
    // The message now says who answered, and its buttons are gone.
    await eventually(async () => (discord.messages.get(messageId)!.components.length === 0 ? true : undefined), 10_000, 50);
    expect(discord.messages.get(messageId)!.content).toMatch(/Approved once by /);
    noToken(gateway.output());
  }, 60_000);
});
