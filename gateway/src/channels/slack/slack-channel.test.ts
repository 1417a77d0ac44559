import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signSlackRequest, startFakeSlack, type FakeSlack } from '../../../../test/helpers/fake-slack.js';
import type { InboundAction, InboundMessage } from '../channel.js';
import { createSlackChannel, type SlackChannel, type SlackChannelOptions } from './slack-channel.js';
import { recordingLog } from '../../../../test/helpers/recording-log.js';

const BOT = 'xoxb-1111-2222-bot-secret-value';
const APP = 'xapp-1-A0FAKE-3333-app-secret-value';
const SIGNING = 'signing-secret-0123456789abcdef';
const WAIT = { timeout: 20_000, interval: 20 };

let fake: FakeSlack | undefined;
let channel: SlackChannel | undefined;
let dir: string | undefined;
afterEach(async () => {
  await channel?.stop();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  channel = fake = dir = undefined;
});

async function setup(overrides: Partial<SlackChannelOptions> = {}) {
  fake = await startFakeSlack({ botToken: BOT, appToken: APP });
  const lines: string[] = [];
  const received: InboundMessage[] = [];
  const actions: InboundAction[] = [];
  channel = createSlackChannel({ botToken: BOT, appToken: APP, apiUrl: fake.apiUrl, log: recordingLog(lines), retry: { initialMs: 20, maxMs: 100 }, ...overrides });
  const handlers = {
    onMessage: async (m: InboundMessage) => void received.push(m),
    onAction: async (a: InboundAction) => void actions.push(a),
  };
  return { fake, channel, lines, received, actions, handlers };
}

const everything = (t: { lines: string[]; channel: SlackChannel }) => [JSON.stringify(t.channel.status()), ...t.lines].join('\n');

describe('Slack channel over Socket Mode against the fake', () => {
  it('connects (auth.test, apps.connections.open with the app token, hello) and delivers a DM, acked', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    expect(t.channel.status().state).toBe('connected');
    expect(t.fake.calls.find((c) => c.method === 'apps.connections.open')?.auth).toBe('app');
    expect(t.fake.calls.find((c) => c.method === 'auth.test')?.auth).toBe('bot');
    const envelope = t.fake.sendMessage({ channel: 'D0ADA', user: 'U0ADA', text: 'hello bot &amp; friends', extra: { user_profile: { display_name: 'Ada', real_name: 'Ada L' } } });
    await vi.waitFor(() => expect(t.received).toHaveLength(1), WAIT);
    expect(t.received[0]).toEqual({ channel: 'slack', chatId: 'D0ADA', chatKind: 'dm', senderId: 'U0ADA', senderName: 'Ada', text: 'hello bot & friends', mentioned: false, messageId: expect.stringMatching(/^\d+\.\d+$/) });
    expect(await t.fake.waitForAck(envelope)).toBeDefined();
    expect(t.channel.status().lastMessageAtMs).toEqual(expect.any(Number));
    expect(t.channel.status().lastActivityAtMs).toEqual(expect.any(Number));
  });

  it('channel messages: mentioned on app_mention or <@BOT>, once per Slack message; others unmentioned', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    t.fake.sendMessage({ channel: 'C0GEN', user: 'U0BOB', text: 'just chatting', ts: '1700000000.000001' });
    // Slack sends both a message and an app_mention for one mention: handed on once.
    t.fake.sendMessage({ channel: 'C0GEN', user: 'U0BOB', text: `<@${t.fake.botUserId}> what time is it`, ts: '1700000000.000002' });
    t.fake.sendEvent({ type: 'app_mention', channel: 'C0GEN', user: 'U0BOB', text: `<@${t.fake.botUserId}> what time is it`, ts: '1700000000.000002' });
    t.fake.sendEvent({ type: 'app_mention', channel: 'C0GEN', user: 'U0BOB', text: `hey <@${t.fake.botUserId}|tether>`, ts: '1700000000.000003' });
    t.fake.sendMessage({ channel: 'C0GEN', user: 'U0BOB', text: 'mail <@U0BOTX>', ts: '1700000000.000004' });
    await vi.waitFor(() => expect(t.received).toHaveLength(4), WAIT);
    expect(t.received.map((m) => [m.chatKind, m.chatId, m.mentioned, m.text])).toEqual([
      ['group', 'C0GEN', false, 'just chatting'],
      ['group', 'C0GEN', true, 'what time is it'],
      ['group', 'C0GEN', true, 'hey'],
      ['group', 'C0GEN', false, 'mail <@U0BOTX>'],
    ]);
  });

  it('ignores bot messages, its own messages, edits, subtypes and malformed ids (hostile events)', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    const hostile = [
      t.fake.sendMessage({ channel: 'D0X', user: 'U0EVE', text: 'from a bot', extra: { bot_id: 'B0OTHER' } }),
      t.fake.sendMessage({ channel: 'D0X', user: t.fake.botUserId, text: 'my own echo' }),
      t.fake.sendMessage({ channel: 'D0X', user: 'U0EVE', text: 'edited', extra: { subtype: 'message_changed', message: { text: 'x' } } }),
      t.fake.sendMessage({ channel: 'D0X', user: 'U0EVE', text: 'bot msg', extra: { subtype: 'bot_message' } }),
      t.fake.sendMessage({ channel: 'D0X', user: 'U0EVE', text: 'joined', extra: { subtype: 'channel_join' } }),
      t.fake.sendMessage({ channel: 'D0X', user: '../../etc/passwd', text: 'bad user id' }),
      t.fake.sendMessage({ channel: 'D0X\nInjected', user: 'U0EVE', text: 'bad channel id' }),
      t.fake.sendMessage({ channel: 'D0X', user: 'U0EVE', text: 'bad ts', ts: 'not-a-ts' }),
      t.fake.sendMessage({ channel: 'D0X', user: 'U0EVE', text: 42 as unknown as string }),
      t.fake.sendMessage({ channel: 'D0X', user: 'U0EVE', text: `  <@${t.fake.botUserId}>  ` }),
    ];
    const last = t.fake.sendMessage({ channel: 'D0X', user: 'U0EVE', text: 'the real one', extra: { user_profile: { display_name: 'Eve\u001b[2J\u202eevil\r\nroot' } } });
    await vi.waitFor(() => expect(t.received).toHaveLength(1), WAIT);
    for (const envelope of [...hostile, last]) await t.fake.waitForAck(envelope);
    expect(t.received[0]!.text).toBe('the real one');
    expect(t.received[0]!.senderName).toBe('Eve[2Jevilroot');
    expect(t.received).toHaveLength(1);
  });

  it('sends text escaped (no <!channel> pings), refuses empty and over-long text, returns ts; buttons as Block Kit', async () => {
    const t = await setup();
    const sent = await t.channel.sendText('D0ADA', 'hi <!channel> & <@U0ALL>');
    const post = await t.fake.waitForCall('chat.postMessage');
    expect(post.params).toMatchObject({ channel: 'D0ADA', text: 'hi &lt;!channel&gt; &amp; &lt;@U0ALL&gt;' });
    expect(sent).toEqual({ messageId: expect.stringMatching(/^\d+\.\d+$/) });
    await expect(t.channel.sendText('D0ADA', '   ')).rejects.toThrow(/empty/);
    await expect(t.channel.sendText('D0ADA', 'x'.repeat(4001))).rejects.toThrow(/at most 4000/);
    await expect(t.channel.sendText('D0ADA\n', 'hi')).rejects.toThrow(/conversation id/);

    const withButtons = await t.channel.sendText('D0ADA', `approve ${'y'.repeat(3500)}?`, { buttons: [{ label: 'Approve once', data: 'xa:0123abcd:o' }, { label: 'Deny', data: 'xa:0123abcd:d' }] });
    const message = t.fake.messages.get(`D0ADA:${withButtons!.messageId}`)!;
    const sections = message.blocks.filter((b) => b.type === 'section');
    expect(sections).toHaveLength(2);
    expect(sections.map((b) => (b.text as { text: string }).text).join('')).toBe(`approve ${'y'.repeat(3500)}?`);
    const actions = message.blocks.find((b) => b.type === 'actions') as { elements: { type: string; value: string; action_id: string }[] };
    expect(actions.elements.map((e) => [e.type, e.value])).toEqual([
      ['button', 'xa:0123abcd:o'],
      ['button', 'xa:0123abcd:d'],
    ]);

    await t.channel.editText!('D0ADA', withButtons!.messageId, 'approve?\n\nApproved once by Ada.');
    // The buttons are gone, and the text stays in plain_text blocks (read literally, not as mrkdwn).
    expect(t.fake.messages.get(`D0ADA:${withButtons!.messageId}`)).toMatchObject({
      text: 'approve?\n\nApproved once by Ada.',
      blocks: [{ type: 'section', text: { type: 'plain_text', text: 'approve?\n\nApproved once by Ada.', emoji: false } }],
    });
    await expect(t.channel.editText!('D0ADA', '1.2', 'nope')).rejects.toThrow(/chat.update failed: message_not_found/);
  });

  it('the fake refuses what Slack refuses: msg_too_long over 40,000, no_text', async () => {
    const t = await setup();
    const post = (text: string) => fetch(`${t.fake.apiUrl}chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${BOT}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ channel: 'D0ADA', text }) }).then((r) => r.json());
    expect(await post('x'.repeat(40_001))).toEqual({ ok: false, error: 'msg_too_long' });
    expect(await post('')).toEqual({ ok: false, error: 'no_text' });
    // Escaping can grow a 4,000-character text at most fivefold: still under Slack's hard limit.
    await t.channel.sendText('D0ADA', '&'.repeat(4000));
    expect(String((await t.fake.waitForCall('chat.postMessage', (c) => !c.error)).params.text)).toHaveLength(20_000);
  });

  it('a button press is acked, becomes an InboundAction; acknowledge posts an ephemeral line to the presser', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    const sent = await t.channel.sendText('D0ADA', 'pick', { buttons: [{ label: 'Deny', data: 'xa:0123abcd:d' }] });
    const envelope = t.fake.pressButton({ user: 'U0ADA', userName: 'ada', channel: 'D0ADA', messageTs: sent!.messageId, value: 'xa:0123abcd:d', actionId: 'tether_button_0' });
    await t.fake.waitForAck(envelope);
    await vi.waitFor(() => expect(t.actions).toHaveLength(1), WAIT);
    expect(t.actions[0]).toMatchObject({ channel: 'slack', chatId: 'D0ADA', senderId: 'U0ADA', senderName: 'ada', data: 'xa:0123abcd:d', messageId: sent!.messageId });
    await t.actions[0]!.acknowledge('Denied. <!here>');
    const ephemeral = await t.fake.waitForCall('chat.postEphemeral');
    expect(ephemeral.params).toMatchObject({ channel: 'D0ADA', user: 'U0ADA', text: 'Denied. &lt;!here&gt;' });
    await t.actions[0]!.acknowledge('');
    expect(t.fake.calls.filter((c) => c.method === 'chat.postEphemeral')).toHaveLength(1);

    // Another app's button, an oversized value, a forged user id: acked, never handed on.
    const ignored = [
      t.fake.pressButton({ user: 'U0ADA', channel: 'D0ADA', messageTs: sent!.messageId, value: 'xa:0123abcd:o', actionId: 'other_app_button' }),
      t.fake.pressButton({ user: 'U0ADA', channel: 'D0ADA', messageTs: sent!.messageId, value: `xa:${'0'.repeat(3000)}`, actionId: 'tether_button_0' }),
      t.fake.pressButton({ user: 'not-a-user', channel: 'D0ADA', messageTs: sent!.messageId, value: 'xa:0123abcd:o', actionId: 'tether_button_0' }),
    ];
    for (const id of ignored) await t.fake.waitForAck(id);
    expect(t.actions).toHaveLength(1);
  });

  it('sends media with the 3-call upload, the caption as initial_comment; typing sends nothing', async () => {
    const t = await setup();
    dir = mkdtempSync(join(tmpdir(), 'slack-'));
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0x0d, 0x0a, 0xff, 0xd9]);
    writeFileSync(join(dir, 'snap.jpg'), jpeg);
    await t.channel.sendMedia('D0ADA', { path: join(dir, 'snap.jpg'), mimeType: 'image/jpeg', caption: 'kitchen: camera.snap <x>' });
    const before = t.fake.calls.length;
    await t.channel.sendTyping('D0ADA');
    expect(t.fake.calls.length).toBe(before);
    expect(t.fake.calls.map((c) => c.method)).toEqual(['files.getUploadURLExternal', 'files.completeUploadExternal']);
    expect(t.fake.calls[0]!.params).toMatchObject({ filename: 'snap.jpg', length: String(jpeg.length) });
    const upload = [...t.fake.uploads.values()][0]!;
    expect(upload.data).toEqual(jpeg);
    expect(upload.completed).toEqual({ channelId: 'D0ADA', initialComment: 'kitchen: camera.snap &lt;x&gt;', title: 'snap.jpg' });
  });

  it('directChatId opens a DM once per user and refuses non-member ids', async () => {
    const t = await setup();
    expect(await t.channel.directChatId('U0ADA')).toBe('D0ADA');
    expect(await t.channel.directChatId('U0ADA')).toBe('D0ADA');
    expect(t.fake.calls.filter((c) => c.method === 'conversations.open').map((c) => c.params)).toEqual([{ users: 'U0ADA' }]);
    await expect(t.channel.directChatId('C0GEN')).rejects.toThrow(/member id/);
  });

  it('reconnects after Slack sends disconnect, and after the socket is cut; messages flow again', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    expect(t.fake.connectionCount()).toBe(1);
    const states: string[] = [];
    const timer = setInterval(() => states.push(t.channel.status().state), 2);

    t.fake.disconnectSocket('refresh_requested');
    await vi.waitFor(() => expect(t.fake.connectionCount()).toBe(2), WAIT);
    await vi.waitFor(() => expect(t.channel.status().state).toBe('connected'), WAIT);
    t.fake.sendMessage({ channel: 'D0ADA', user: 'U0ADA', text: 'after refresh' });
    await vi.waitFor(() => expect(t.received.map((m) => m.text)).toEqual(['after refresh']), WAIT);

    t.fake.dropSocket();
    await vi.waitFor(() => expect(t.fake.connectionCount()).toBe(3), WAIT);
    await vi.waitFor(() => expect(t.channel.status().state).toBe('connected'), WAIT);
    t.fake.sendMessage({ channel: 'D0ADA', user: 'U0ADA', text: 'after drop' });
    await vi.waitFor(() => expect(t.received.map((m) => m.text)).toEqual(['after refresh', 'after drop']), WAIT);
    clearInterval(timer);
    expect(states).toContain('reconnecting');
    expect(t.lines.filter((l) => l.includes('Socket Mode connection closed')).length).toBeGreaterThanOrEqual(2);
    expect(t.fake.openSockets()).toBe(1);
    expect(t.fake.calls.filter((c) => c.method === 'apps.connections.open')).toHaveLength(3);
  });

  it('a connection that opens but never says hello is dropped and retried (no deaf "connected")', async () => {
    const t = await setup({ helloTimeoutMs: 150, retry: { initialMs: 20, maxMs: 40 } });
    t.fake.setHello(false);
    await t.channel.start(t.handlers);
    expect(t.channel.status()).toMatchObject({ state: 'reconnecting', reason: expect.stringContaining('did not say hello') });
    await vi.waitFor(() => expect(t.fake.connectionCount()).toBeGreaterThanOrEqual(2), WAIT);
    t.fake.setHello(true);
    await vi.waitFor(() => expect(t.channel.status().state).toBe('connected'), WAIT);
    await vi.waitFor(() => expect(t.fake.openSockets()).toBe(1), WAIT);
    t.fake.sendMessage({ channel: 'D0ADA', user: 'U0ADA', text: 'finally' });
    await vi.waitFor(() => expect(t.received.map((m) => m.text)).toEqual(['finally']), WAIT);
  });

  it('reports reconnecting with the reason while Slack cannot be reached; start() does not wait for it', async () => {
    const t = await setup();
    // Nothing listens on port 9 here.
    channel = createSlackChannel({ botToken: BOT, appToken: APP, apiUrl: 'http://127.0.0.1:9/api/', log: recordingLog(t.lines), retry: { initialMs: 60_000 }, requestTimeoutMs: 2_000 });
    await channel.start(t.handlers);
    expect(channel.status()).toMatchObject({ state: 'reconnecting', reason: expect.stringContaining('auth.test failed') });
    expect(channel.status().reason).toContain('retrying in 60 s');
  });

  it('a Slack that never answers does not hold up start() or stop()', async () => {
    const t = await setup();
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      channel = createSlackChannel({ botToken: BOT, appToken: APP, apiUrl: `http://127.0.0.1:${port}/api/`, log: recordingLog(t.lines), startWaitMs: 100, stopWaitMs: 100, requestTimeoutMs: 60_000 });
      await channel.start(t.handlers);
      expect(channel.status().state).toBe('starting');
      await channel.stop();
      expect(channel.status().state).toBe('stopped');
      channel = undefined;
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  }, 15_000);

  it('ends in failed on a wrong bot token, naming the key, never the token', async () => {
    const wrong = 'xoxb-9999-wrong-bot-secret';
    const t = await setup({ botToken: wrong });
    await t.channel.start(t.handlers);
    expect(t.channel.status()).toMatchObject({ state: 'failed', reason: expect.stringContaining('channels.slack.botToken') });
    expect(t.channel.status().reason).toContain('invalid_auth');
    expect(everything(t)).not.toContain('wrong-bot-secret');
    expect(t.fake.calls.some((c) => c.method === 'apps.connections.open')).toBe(false);
    const error = (await t.channel.sendText('D0ADA', 'hi').then(() => undefined, (e: unknown) => e)) as Error;
    expect(error.message).toBe('slack: chat.postMessage failed: invalid_auth');
    expect(JSON.stringify(error)).not.toContain('wrong-bot-secret');
  });

  it('ends in failed on a wrong app token, naming appToken, never the token', async () => {
    const wrong = 'xapp-1-A0FAKE-wrong-app-secret';
    const t = await setup({ appToken: wrong });
    await t.channel.start(t.handlers);
    expect(t.channel.status()).toMatchObject({ state: 'failed', reason: expect.stringContaining('channels.slack.appToken') });
    expect(everything(t)).not.toContain('wrong-app-secret');
    expect(everything(t)).not.toContain(BOT);
  });

  it('stop() closes the socket and nothing more is delivered', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    await t.channel.stop();
    expect(t.channel.status().state).toBe('stopped');
    await vi.waitFor(() => expect(t.fake.openSockets()).toBe(0), WAIT);
    t.fake.sendMessage({ channel: 'D0ADA', user: 'U0ADA', text: 'after stop' });
    expect(t.received).toEqual([]);
    expect(t.fake.connectionCount()).toBe(1);
    expect(t.lines.join('\n')).not.toContain(APP);
  });
});

describe('Slack channel over the HTTP Events API', () => {
  it('accepts a correctly signed event, refuses a bad or stale signature', async () => {
    const t = await setup({ mode: 'http', signingSecret: SIGNING, http: { port: 0, path: '/slack/events', host: '127.0.0.1' } });
    await t.channel.start(t.handlers);
    expect(t.channel.status().state).toBe('connected');
    const address = t.channel.httpAddress()!;
    const url = `http://127.0.0.1:${address.port}/slack/events`;
    const body = (text: string) =>
      JSON.stringify({ token: 'x', team_id: t.fake.teamId, api_app_id: 'A0FAKE', type: 'event_callback', event_id: `Ev${text.length}`, event_time: 1, event: { type: 'message', channel: 'D0ADA', channel_type: 'im', user: 'U0ADA', text, ts: '1700000000.000100' } });
    const post = (payload: string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });

    const forged = body('forged');
    expect((await post(forged, signSlackRequest('not-the-secret', forged))).status).toBe(401);
    const stale = body('stale!');
    expect((await post(stale, signSlackRequest(SIGNING, stale, Math.floor(Date.now() / 1000) - 600))).status).toBe(401);
    const good = body('signed hello');
    expect((await post(good, signSlackRequest(SIGNING, good))).status).toBe(200);
    await vi.waitFor(() => expect(t.received.map((m) => m.text)).toEqual(['signed hello']), WAIT);
    const challenge = JSON.stringify({ type: 'url_verification', challenge: 'chal123', token: 'x' });
    expect(await (await post(challenge, signSlackRequest(SIGNING, challenge))).json()).toEqual({ challenge: 'chal123' });
    expect(everything(t)).not.toContain(SIGNING);
  });
});
