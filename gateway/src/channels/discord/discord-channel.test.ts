import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../../../../test/helpers/fake-discord.js';
import type { Channel, InboundAction, InboundMessage } from '../channel.js';
import { cleanName, createDiscordChannel, stripBotMention } from './discord-channel.js';
import { discordDefinition, normaliseDiscordId } from './discord-definition.js';
import { recordingLog } from '../../../../test/helpers/recording-log.js';

// Shaped like a real bot token (id.timestamp.hmac), so discord.js's "censored" form is exercised too.
const TOKEN = 'MTIwMDAwMDAwMDAwMDAwMDAwMQ.GsEcRt.super-secret-hmac-part-0123456789';
const WAIT = { timeout: 20_000, interval: 20 };
const GUILD = '1100000000000000001';
const GENERAL = '1100000000000000002';
const ADA = '1000000000000000042';
const DM_CHANNEL = '1000000000000000500';
const BOT_ROLE = '1100000000000000003';

let fake: FakeDiscord | undefined;
let channel: Channel | undefined;
let dir: string | undefined;
afterEach(async () => {
  await channel?.stop();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  channel = fake = dir = undefined;
});

async function setup(options: { token?: string; ackDeadlineMs?: number; messageContentIntent?: boolean } = {}) {
  fake = await startFakeDiscord({ token: TOKEN, guilds: [{ id: GUILD, channels: [{ id: GENERAL }], botRoleId: BOT_ROLE }], ...(options.messageContentIntent === false ? { messageContentIntent: false } : {}) });
  const lines: string[] = [];
  const received: InboundMessage[] = [];
  const actions: InboundAction[] = [];
  channel = createDiscordChannel({
    token: options.token ?? TOKEN,
    apiBase: fake.apiBase,
    log: recordingLog(lines),
    retry: { initialMs: 20, maxMs: 100 },
    ...(options.ackDeadlineMs !== undefined ? { ackDeadlineMs: options.ackDeadlineMs } : {}),
  });
  const handlers = { onMessage: async (m: InboundMessage) => void received.push(m), onAction: async (a: InboundAction) => void actions.push(a) };
  const f = fake;
  const calls = (method: string, route: string) => f.calls.filter((c) => c.method === method && c.route === route);
  return { fake, channel, lines, received, actions, handlers, calls };
}

const noSecret = (text: string) => {
  expect(text).not.toContain(TOKEN);
  for (const part of TOKEN.split('.')) expect(text).not.toContain(part);
};

describe('Discord channel against the fake REST API and gateway', () => {
  it('connects with the intents and partials DMs need, and delivers a DM as an InboundMessage', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    expect(t.channel.status().state).toBe('connected');
    const identify = t.fake.gatewayLog.find((e) => e.op === 2)!;
    // Guilds | GuildMessages | DirectMessages | MessageContent
    expect(identify.d.intents).toBe((1 << 0) | (1 << 9) | (1 << 12) | (1 << 15));
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, username: 'ada', globalName: 'Ada', content: 'hello bot' });
    await vi.waitFor(() => expect(t.received).toHaveLength(1), WAIT);
    expect(t.received[0]).toEqual({ channel: 'discord', chatId: DM_CHANNEL, chatKind: 'dm', senderId: ADA, senderName: 'Ada', text: 'hello bot', mentioned: false, messageId: expect.stringMatching(/^\d+$/) });
    expect(t.channel.status().lastMessageAtMs).toEqual(expect.any(Number));
    expect(t.channel.status().lastActivityAtMs).toEqual(expect.any(Number));
  });

  it('passes guild messages only when they mention or reply to the bot, with the mention removed', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    const bot = t.fake.bot.id;
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: 'just chatting' });
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: 'hey <@1000000000000000077> look', mentions: ['1000000000000000077'] });
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: `<@${bot}> what time is it`, mentions: [bot] });
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: 'and this?', replyToAuthorId: bot });
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: 'a reply to someone else', replyToAuthorId: '1000000000000000077' });
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: `<@&${BOT_ROLE}> via the role`, mentionRoles: [BOT_ROLE] });
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: `<@&${GUILD}> not the bot's role`, mentionRoles: [GUILD] });
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, content: 'marker' });
    await vi.waitFor(() => expect(t.received.map((m) => m.text)).toContain('marker'), WAIT);
    expect(t.received.map((m) => [m.chatKind, m.chatId, m.mentioned, m.text])).toEqual([
      ['group', GENERAL, true, 'what time is it'],
      ['group', GENERAL, true, 'and this?'],
      ['group', GENERAL, true, 'via the role'],
      ['dm', DM_CHANNEL, false, 'marker'],
    ]);
  });

  it('drops bots, itself, webhooks, system messages, empty text and a bare mention; cleans hostile names', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    const bot = t.fake.bot.id;
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: '1000000000000000099', bot: true, content: 'I am a bot' });
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: bot, content: 'my own echo' });
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, content: 'via webhook', extra: { webhook_id: '1000000000000000111' } });
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: `<@${bot}> joined`, mentions: [bot], type: 7 });
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, content: '' });
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: `  <@${bot}>  `, mentions: [bot] });
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, content: 'hi', extra: { author: { id: 'not-a-snowflake', username: 'x', discriminator: '0' } } });
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, globalName: 'Ada\u001b[2J\u202eevil\u0000', content: 'marker' });
    await vi.waitFor(() => expect(t.received.map((m) => m.text)).toContain('marker'), WAIT);
    expect(t.received).toHaveLength(1);
    expect(t.received[0]!.senderName).toBe('Ada[2Jevil');
  });

  it('an @everyone, a mention in the text that Discord did not flag, an unknown guild, and odd button data', async () => {
    const t = await setup({ ackDeadlineMs: 60_000 });
    await t.channel.start(t.handlers);
    const bot = t.fake.bot.id;
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: '@everyone meeting now', extra: { mention_everyone: true } });
    // Only Discord's own mentions array counts: typing the bot's mention token into a code span does not.
    t.fake.dispatchMessage({ channelId: GENERAL, guildId: GUILD, authorId: ADA, content: `\`<@${bot}>\` is how you mention it` , mentions: [] });
    t.fake.dispatchRaw('MESSAGE_CREATE', { id: '1000000000000007777', channel_id: '1000000000000008888', guild_id: '1000000000000009999', channel_type: 0, author: { id: ADA, username: 'ada', discriminator: '0' }, content: `<@${bot}> from nowhere`, mentions: [t.fake.bot], mention_roles: [], attachments: [], embeds: [], timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, pinned: false, type: 0 });
    const big = 'z'.repeat(50_000);
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, content: big });
    t.fake.dispatchButton({ channelId: DM_CHANNEL, userId: ADA, customId: 'xa:../../etc\u0000:o' });
    await vi.waitFor(() => expect(t.actions).toHaveLength(1), WAIT);
    await vi.waitFor(() => expect(t.received).toHaveLength(1), WAIT);
    // The text arrives whole (the conversation layer caps what reaches the agent); data verbatim (ChatApprovals judges it).
    expect(t.received[0]!.text).toBe(big);
    expect(t.actions[0]!.data).toBe('xa:../../etc\u0000:o');
  });

  it('never logs an interaction token when answering a press fails', async () => {
    const t = await setup({ ackDeadlineMs: 60_000 });
    await t.channel.start(t.handlers);
    const stolen = 'aW50ZXJhY3Rpb246-forged-interaction-token';
    t.fake.dispatchRaw('INTERACTION_CREATE', {
      id: '1000000000000006666', application_id: t.fake.bot.id, type: 3, data: { custom_id: 'x', component_type: 2 }, channel_id: DM_CHANNEL,
      channel: { id: DM_CHANNEL, type: 1, recipients: [{ id: ADA, username: 'ada', discriminator: '0' }] }, user: { id: ADA, username: 'ada', discriminator: '0' },
      token: stolen, version: 1, message: { id: '1000000000000005555', channel_id: DM_CHANNEL, author: t.fake.bot, content: 'q', timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false, type: 0 },
      app_permissions: '0', locale: 'en-US', entitlements: [], authorizing_integration_owners: {}, context: 1,
    });
    await vi.waitFor(() => expect(t.actions).toHaveLength(1), WAIT);
    await t.actions[0]!.acknowledge('hello');
    expect(t.lines.some((l) => /answering a button press failed: Unknown interaction \(HTTP 404, code 10062\)/.test(l))).toBe(true);
    expect(t.lines.join('\n')).not.toContain(stolen);
  });

  it('waits out a 429 and sends; re-identifies after a non-resumable INVALID_SESSION', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    t.fake.rateLimitNext(1, 0.05);
    const dm = await t.channel.directChatId(ADA);
    expect(t.fake.calls.filter((c) => c.route === '/users/@me/channels')).toHaveLength(2);
    expect((await t.channel.sendText(dm, 'after the limit'))?.messageId).toMatch(/^\d+$/);

    t.fake.invalidateSession();
    await t.fake.waitForGateway(2, 2);
    await vi.waitFor(() => expect(t.channel.status().state).toBe('connected'), WAIT);
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, content: 'new session' });
    await vi.waitFor(() => expect(t.received.map((m) => m.text)).toEqual(['new session']), WAIT);
  });

  it('a DM without channel_type is not delivered (discord.js 14.28 needs it): the fake models that', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    t.fake.dispatchMessage({ channelId: '1000000000000000501', authorId: ADA, content: 'lost', omitChannelType: true });
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, content: 'marker' });
    await vi.waitFor(() => expect(t.received.map((m) => m.text)).toEqual(['marker']), WAIT);
  });

  it('sends text without pings, typing, buttons, edits that remove them, and an attachment with its caption', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    dir = mkdtempSync(join(tmpdir(), 'dc-'));
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);
    writeFileSync(join(dir, 'snap.jpg'), jpeg);
    const dm = await t.channel.directChatId(ADA);
    expect(dm).toBe(t.fake.dmChannelFor(ADA));

    const sent = await t.channel.sendText(dm, 'hi @everyone', { buttons: [{ label: 'Approve once', data: 'xa:0123abcd:o' }, { label: 'Deny', data: 'xa:0123abcd:d' }] });
    expect(sent?.messageId).toMatch(/^\d+$/);
    const post = t.calls('POST', '/channels/:id/messages')[0]!;
    // No pings, and no link previews (SuppressEmbeds = 4): a URL the model wrote is not fetched by Discord.
    expect(post.body).toMatchObject({ content: 'hi @everyone', allowed_mentions: { parse: [] }, flags: 4 });
    await t.channel.sendText(dm, 'see [bank.example](https://evil.example)');
    expect(t.calls('POST', '/channels/:id/messages')[1]!.body).toMatchObject({ content: 'see \\[bank.example\\](https://evil.example)', flags: 4 });
    expect(post.body.components).toEqual([
      {
        type: 1,
        components: [
          { type: 2, custom_id: 'xa:0123abcd:o', label: 'Approve once', style: 1 },
          { type: 2, custom_id: 'xa:0123abcd:d', label: 'Deny', style: 2 },
        ],
      },
    ]);
    await t.channel.editText!(dm, sent!.messageId, 'Approved once by Ada.');
    expect(t.fake.messages.get(sent!.messageId)).toMatchObject({ content: 'Approved once by Ada.', components: [] });

    await t.channel.sendTyping(dm);
    expect(t.calls('POST', '/channels/:id/typing')).toHaveLength(1);

    await t.channel.sendMedia(dm, { path: join(dir, 'snap.jpg'), mimeType: 'image/jpeg', caption: 'porch: camera.snap' });
    const media = t.calls('POST', '/channels/:id/messages').at(-1)!;
    expect(media.body).toMatchObject({ content: 'porch: camera.snap', attachments: [{ id: '0' }] });
    expect(media.files).toEqual([{ field: 'files[0]', filename: 'snap.jpg', contentType: 'image/jpeg', data: jpeg }]);

    // 13 buttons → rows of 5, 5, 3; data over Discord's 100-character custom_id is refused before sending.
    await t.channel.sendText(dm, 'many', { buttons: Array.from({ length: 13 }, (_, i) => ({ label: `b${i}`, data: `d${i}` })) });
    const rows = t.calls('POST', '/channels/:id/messages').at(-1)!.body.components as { components: unknown[] }[];
    expect(rows.map((r) => r.components.length)).toEqual([5, 5, 3]);
    await expect(t.channel.sendText(dm, 'x', { buttons: [{ label: 'x', data: 'y'.repeat(101) }] })).rejects.toThrow(/1 to 100 characters/);
    await expect(t.channel.sendText(dm, 'x'.repeat(2001))).rejects.toThrow(/at most 2000/);
    await expect(t.channel.sendText(dm, '  ')).rejects.toThrow(/empty/);
    await expect(t.channel.sendText('../../users/@me', 'x')).rejects.toThrow(/numeric channel id/);
  });

  it('surfaces Discord\'s own refusal (50035) when the fake is asked for an over-long edit, without the token', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    const dm = await t.channel.directChatId(ADA);
    const sent = await t.channel.sendText(dm, 'short');
    // editText cuts to the limit itself; an unknown message is Discord's 10008, reported with its code.
    await t.channel.editText!(dm, sent!.messageId, 'y'.repeat(2500));
    expect(t.fake.messages.get(sent!.messageId)!.content).toHaveLength(2000);
    const error = (await t.channel.editText!(dm, '1000000000000009999', 'x').then(() => undefined, (e: unknown) => e)) as Error;
    expect(error.message).toMatch(/Unknown Message.*code 10008/);
    expect(error.cause).toBeUndefined();
    noSecret(error.message);
  });

  it('turns a button press into an InboundAction and acknowledges it with an ephemeral reply', async () => {
    const t = await setup({ ackDeadlineMs: 60_000 });
    await t.channel.start(t.handlers);
    const dm = await t.channel.directChatId(ADA);
    const sent = await t.channel.sendText(dm, 'approve?', { buttons: [{ label: 'Deny', data: 'xa:0123abcd:d' }] });
    const interactionId = t.fake.dispatchButton({ channelId: dm, userId: ADA, username: 'ada', customId: 'xa:0123abcd:d' });
    await vi.waitFor(() => expect(t.actions).toHaveLength(1), WAIT);
    expect(t.actions[0]).toMatchObject({ channel: 'discord', chatId: dm, senderId: ADA, data: 'xa:0123abcd:d', messageId: sent!.messageId });
    await t.actions[0]!.acknowledge('Denied.');
    await t.actions[0]!.acknowledge('again');
    // Ephemeral (64) and no link preview (SuppressEmbeds, 4).
    expect(t.fake.interactionResponses).toEqual([{ interactionId, type: 4, data: expect.objectContaining({ content: 'Denied.', flags: 64 | 4 }) }]);
  });

  it('defers a press the handler has not acknowledged in time; a late acknowledge is an ephemeral follow-up', async () => {
    const t = await setup({ ackDeadlineMs: 50 });
    await t.channel.start(t.handlers);
    const dm = await t.channel.directChatId(ADA);
    await t.channel.sendText(dm, 'approve?', { buttons: [{ label: 'Deny', data: 'xa:0123abcd:d' }] });
    const interactionId = t.fake.dispatchButton({ channelId: dm, userId: ADA, customId: 'xa:0123abcd:d' });
    await vi.waitFor(() => expect(t.fake.interactionResponses).toEqual([{ interactionId, type: 6 }]), WAIT);
    await t.actions[0]!.acknowledge('Only the approvers named for this chat can answer exec approvals.');
    expect(t.fake.interactionResponses[1]).toMatchObject({ type: -1, data: { content: 'Only the approvers named for this chat can answer exec approvals.', flags: 64 | 4 } });
  });

  it('an empty acknowledge is a silent deferred update (Discord refuses an empty reply)', async () => {
    const t = await setup({ ackDeadlineMs: 60_000 });
    await t.channel.start(t.handlers);
    t.fake.dispatchButton({ channelId: DM_CHANNEL, userId: ADA, customId: 'something-else' });
    await vi.waitFor(() => expect(t.actions).toHaveLength(1), WAIT);
    await t.actions[0]!.acknowledge('');
    expect(t.fake.interactionResponses.map((r) => r.type)).toEqual([6]);
  });

  it('resumes after a dropped connection (1006) and after op 7, showing reconnecting, and keeps receiving', async () => {
    const t = await setup();
    const states: string[] = [];
    await t.channel.start(t.handlers);
    const poll = setInterval(() => states.push(t.channel.status().state), 5);
    try {
      t.fake.dropConnection();
      await t.fake.waitForGateway(6, 1);
      await vi.waitFor(() => expect(t.channel.status().state).toBe('connected'), WAIT);
      t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, content: 'after the drop' });
      await vi.waitFor(() => expect(t.received.map((m) => m.text)).toEqual(['after the drop']), WAIT);

      t.fake.requestReconnect();
      // Sent while the client is away: replayed on RESUME, as Discord does.
      t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, content: 'during the reconnect' });
      await t.fake.waitForGateway(6, 2);
      await vi.waitFor(() => expect(t.received.map((m) => m.text)).toEqual(['after the drop', 'during the reconnect']), WAIT);
      await vi.waitFor(() => expect(t.channel.status().state).toBe('connected'), WAIT);
    } finally {
      clearInterval(poll);
    }
    expect(states).toContain('reconnecting');
    expect(t.lines.some((l) => l.includes('resuming'))).toBe(true);
    expect(t.fake.gatewayLog.filter((e) => e.op === 2)).toHaveLength(1);
  });

  it('ends in failed on a wrong token at REST (401), naming the key, never the token', async () => {
    const wrong = 'MTk5OTk5OTk5OTk5OTk5OTk5OQ.GwRoNg.wrong-secret-hmac-9876543210';
    const t = await setup({ token: wrong });
    await t.channel.start(t.handlers);
    expect(t.channel.status().state).toBe('failed');
    expect(t.channel.status().reason).toContain('channels.discord.token');
    expect(t.channel.status().reason).toContain('401');
    const error = (await t.channel.sendText(DM_CHANNEL, 'hi').then(() => undefined, (e: unknown) => e)) as Error;
    const everything = [JSON.stringify(t.channel.status()), error.message, ...t.lines].join('\n');
    expect(everything).not.toContain(wrong);
    for (const part of wrong.split('.')) expect(everything).not.toContain(part);
    expect(t.fake.calls.filter((c) => c.authorised)).toHaveLength(0);
  });

  it('ends in failed when the gateway closes with 4004 later, naming the key', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    t.fake.closeGateway(4004, 'Authentication failed.');
    await vi.waitFor(() => expect(t.channel.status()).toMatchObject({ state: 'failed', reason: expect.stringContaining('4004') }), WAIT);
    expect(t.channel.status().reason).toContain('channels.discord.token');
    noSecret([JSON.stringify(t.channel.status()), ...t.lines].join('\n'));
  });

  it('ends in failed when REST accepts the token but the gateway refuses it at IDENTIFY (4004)', async () => {
    fake = await startFakeDiscord({ token: TOKEN, gatewayRejectsToken: true });
    const lines: string[] = [];
    channel = createDiscordChannel({ token: TOKEN, apiBase: fake.apiBase, log: recordingLog(lines), retry: { initialMs: 20 } });
    await channel.start({ onMessage: async () => {}, onAction: async () => {} });
    expect(channel.status()).toMatchObject({ state: 'failed', reason: expect.stringMatching(/gateway close 4004.*channels\.discord\.token/) });
    expect(fake.gatewayLog.filter((e) => e.op === 2)).toHaveLength(1);
    noSecret([JSON.stringify(channel.status()), ...lines].join('\n'));
  });

  it('fails with the fix when the Message Content intent is not granted (4014)', async () => {
    const t = await setup({ messageContentIntent: false });
    await t.channel.start(t.handlers);
    expect(t.channel.status()).toMatchObject({ state: 'failed', reason: expect.stringContaining('Message Content Intent') });
  });

  it('retries login while the API is unreachable, reporting reconnecting', async () => {
    const lines: string[] = [];
    channel = createDiscordChannel({ token: TOKEN, apiBase: 'http://127.0.0.1:9/api', log: recordingLog(lines), retry: { initialMs: 60_000 } });
    await channel.start({ onMessage: async () => {}, onAction: async () => {} });
    expect(channel.status()).toMatchObject({ state: 'reconnecting', reason: expect.stringMatching(/login failed.*retrying in 60 s/) });
    noSecret([JSON.stringify(channel.status()), ...lines].join('\n'));
  }, 60_000);

  it('start() does not wait forever for a gateway that never says HELLO: it resolves, reconnecting', async () => {
    fake = await startFakeDiscord({ token: TOKEN, silentGateway: true });
    const lines: string[] = [];
    channel = createDiscordChannel({ token: TOKEN, apiBase: fake.apiBase, log: recordingLog(lines), startTimeoutMs: 100 });
    await channel.start({ onMessage: async () => {}, onAction: async () => {} });
    expect(channel.status()).toMatchObject({ state: 'reconnecting', reason: expect.stringContaining('still waiting for the Discord gateway') });
    // stop() is bounded even here (see discord-channel.ts on @discordjs/ws destroying during the HELLO wait).
    await channel.stop();
    expect(channel.status().state).toBe('stopped');
  });

  it('stop() closes the gateway connection and stops delivery', async () => {
    const t = await setup();
    await t.channel.start(t.handlers);
    expect(t.fake.connections()).toBe(1);
    await t.channel.stop();
    expect(t.channel.status().state).toBe('stopped');
    await vi.waitFor(() => expect(t.fake.connections()).toBe(0), WAIT);
    t.fake.dispatchMessage({ channelId: DM_CHANNEL, authorId: ADA, content: 'after stop' });
    expect(t.received).toEqual([]);
    noSecret(t.lines.join('\n'));
  });
});

describe('Discord config and helpers', () => {
  it('normalises discord:/user: prefixes and refuses non-numeric ids with a clear error', () => {
    expect(normaliseDiscordId('discord:1000000000000000042')).toBe('1000000000000000042');
    expect(normaliseDiscordId('User:1000000000000000042')).toBe('1000000000000000042');
    expect(() => normaliseDiscordId('ada#1234')).toThrow(/not a Discord user id: use the numeric id/);
    const resolved = discordDefinition.resolve(discordDefinition.fileSchema.parse({ token: '${DISCORD_TOKEN}', allowFrom: ['discord:1000000000000000042'] }), { DISCORD_TOKEN: 'secret' });
    expect(resolved).toMatchObject({ token: 'secret', allowFrom: ['1000000000000000042'], dmPolicy: 'pairing' });
    expect(() => discordDefinition.resolve({ token: 't', owners: ['@ada'] }, {})).toThrow(/"@ada" is not a Discord user id/);
    expect(() => discordDefinition.resolve({ token: '${NOPE_DISCORD}' }, {})).toThrow(/NOPE_DISCORD is not set/);
    expect(discordDefinition.fileSchema.safeParse({ token: 't', apiBase: 'http://127.0.0.1:1/api/' }).success).toBe(false);
    expect(discordDefinition.fileSchema.safeParse({ token: 't', botToken: 'x' }).success).toBe(false);
  });

  it('the definition module does not load discord.js: no static import, and the channel module imports only its types', () => {
    const here = (file: string) => readFileSync(fileURLToPath(new URL(file, import.meta.url)), 'utf8');
    const staticImports = (source: string) => [...source.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)].map((m) => ({ type: Boolean(m[1]), from: m[2] }));
    expect(staticImports(here('./discord-definition.ts')).map((i) => i.from)).not.toContain('discord.js');
    for (const file of ['./discord-channel.ts', './discord-failures.ts']) {
      expect(staticImports(here(file)).filter((i) => i.from === 'discord.js'), file).toEqual([{ type: true, from: 'discord.js' }]);
    }
    expect(staticImports(here('./discord-definition.ts')).map((i) => i.from)).not.toContain('./discord-channel.js');
    expect(here('./discord-definition.ts')).toContain("await import('./discord-channel.js')");
  });

  it('strips only the bot\'s own mention; cleans names', () => {
    expect(stripBotMention('<@1> hi <@!1> <@2>', '1')).toBe(' hi <@2>');
    expect(cleanName('a\u0007b\u200fc')).toBe('abc');
    expect(cleanName('x'.repeat(100))).toHaveLength(64);
  });
});
