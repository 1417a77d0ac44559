import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../../../../test/helpers/fake-telegram.js';
import type { Channel, InboundMessage } from '../channel.js';
import { DeafWatchdog } from '../deaf-watchdog.js';
import { createTelegramChannel, splitCaption } from './telegram-channel.js';
import { recordingLog } from '../../../../test/helpers/recording-log.js';

const TOKEN = '424242:AAE-super-secret-token-value';
const WAIT = { timeout: 20_000, interval: 20 };

let fake: FakeTelegram | undefined;
let channel: Channel | undefined;
let dir: string | undefined;
afterEach(async () => {
  await channel?.stop();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  channel = fake = dir = undefined;
});

async function setup(token = TOKEN, extra: { pollTimeoutSeconds?: number; deafAfterMs?: number } = {}) {
  fake = await startFakeTelegram({ token: TOKEN, botUsername: 'tether_bot' });
  const lines: string[] = [];
  const received: InboundMessage[] = [];
  channel = createTelegramChannel({ botToken: token, apiRoot: fake.apiRoot, log: recordingLog(lines), retry: { initialMs: 20, maxMs: 100 }, ...extra });
  return { fake, channel, lines, received, onMessage: async (m: InboundMessage) => void received.push(m) };
}

describe('Telegram channel against the fake Bot API', () => {
  it('a poll that never comes back is found deaf by the watchdog and polling restarts; the waiting message arrives', async () => {
    const t = await setup(TOKEN, { pollTimeoutSeconds: 1, deafAfterMs: 2_500 });
    await t.channel.start({ onMessage: t.onMessage, onAction: async () => {} });
    const watchdog = new DeafWatchdog([t.channel], { log: recordingLog(t.lines), checkEveryMs: 100 });
    watchdog.start();
    try {
      // Answered empty polls keep it alive: no restart while the platform answers.
      const firstHeard = t.channel.status().lastActivityAtMs!;
      await vi.waitFor(() => expect(t.channel.status().lastActivityAtMs).toBeGreaterThan(firstHeard), WAIT);
      expect(watchdog.restartsOf(t.channel)).toBe(0);
      const polls = () => t.fake.calls.filter((c) => c.method === 'getUpdates').length;
      const before = polls();
      t.fake.swallowNextPolls(1);
      // The poll held now is answered at its timeout; the one after it is swallowed.
      await vi.waitFor(() => expect(polls() > before && t.fake.pendingPolls() === 0).toBe(true), WAIT);
      t.fake.queueMessage({ chatId: 1001, chatType: 'private', fromId: 1001, text: 'anyone home?' });
      await vi.waitFor(() => expect(t.received.map((m) => m.text)).toEqual(['anyone home?']), WAIT);
      expect(watchdog.restartsOf(t.channel)).toBeGreaterThanOrEqual(1);
      expect(t.lines.some((l) => /telegram: deaf \(nothing heard from the platform for \d+ s while connected\); restarting it/.test(l))).toBe(true);
      await vi.waitFor(() => expect(t.channel.status().state).toBe('connected'), WAIT);
    } finally {
      watchdog.stop();
    }
  });

  it('delivers a DM as an InboundMessage', async () => {
    const t = await setup();
    await t.channel.start({ onMessage: t.onMessage, onAction: async () => {} });
    expect(t.channel.status().state).toBe('connected');
    t.fake.queueMessage({ chatId: 1001, chatType: 'private', fromId: 1001, firstName: 'Ada', text: 'hello bot' });
    await vi.waitFor(() => expect(t.received).toHaveLength(1), WAIT);
    expect(t.received[0]).toEqual({
      channel: 'telegram',
      chatId: '1001',
      chatKind: 'dm',
      senderId: '1001',
      senderName: 'Ada',
      text: 'hello bot',
      mentioned: false,
      messageId: expect.any(String),
    });
    expect(t.channel.status().lastMessageAtMs).toEqual(expect.any(Number));
  });

  it('marks group messages mentioned on @username or a reply to the bot, not otherwise', async () => {
    const t = await setup();
    await t.channel.start({ onMessage: t.onMessage, onAction: async () => {} });
    t.fake.queueMessage({ chatId: -500, chatType: 'group', fromId: 7, text: 'just chatting' });
    t.fake.queueMessage({ chatId: -500, chatType: 'supergroup', fromId: 7, text: 'hey @Tether_Bot what time is it' });
    t.fake.queueMessage({ chatId: -500, chatType: 'group', fromId: 7, text: 'and this?', replyToFromId: t.fake.botId });
    t.fake.queueMessage({ chatId: -500, chatType: 'group', fromId: 7, text: 'mail @tether_botx' });
    await vi.waitFor(() => expect(t.received).toHaveLength(4), WAIT);
    expect(t.received.map((m) => [m.chatKind, m.chatId, m.mentioned])).toEqual([
      ['group', '-500', false],
      ['group', '-500', true],
      ['group', '-500', true],
      ['group', '-500', false],
    ]);
  });

  it('sends text, typing, and a photo as multipart with its caption; a long caption follows as text', async () => {
    const t = await setup();
    dir = mkdtempSync(join(tmpdir(), 'tg-'));
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0x0d, 0x0a, 0xff, 0xd9]);
    writeFileSync(join(dir, 'snap.jpg'), jpeg);
    writeFileSync(join(dir, 'clip.mp4'), Buffer.from('not really a video'));

    await t.channel.sendText('1001', 'hi there');
    await t.channel.sendTyping('1001');
    await t.channel.sendMedia('1001', { path: join(dir, 'snap.jpg'), mimeType: 'image/jpeg', caption: 'the porch' });
    const longCaption = `${'word '.repeat(300)}END`;
    await t.channel.sendMedia('-500', { path: join(dir, 'clip.mp4'), mimeType: 'video/mp4', caption: longCaption });

    const calls = t.fake.calls.filter((c) => c.method !== 'getMe');
    expect(calls.map((c) => c.method)).toEqual(['sendMessage', 'sendChatAction', 'sendPhoto', 'sendVideo', 'sendMessage']);
    expect(calls[0]!.params).toMatchObject({ chat_id: 1001, text: 'hi there', link_preview_options: { is_disabled: true } });
    expect(calls[1]!.params).toMatchObject({ chat_id: 1001, action: 'typing' });
    expect(calls[2]!.params).toMatchObject({ chat_id: '1001', caption: 'the porch', photo: expect.stringMatching(/^attach:\/\//) });
    expect(calls[2]!.files).toEqual([{ field: 'photo', filename: 'snap.jpg', data: jpeg }]);
    const videoCaption = String(calls[3]!.params.caption);
    expect(videoCaption.length).toBeLessThanOrEqual(1024);
    expect(calls[3]!.files[0]).toMatchObject({ field: 'video', filename: 'clip.mp4' });
    expect(calls[4]!.params).toMatchObject({ chat_id: -500 });
    expect(`${videoCaption} ${String(calls[4]!.params.text)}`).toBe(longCaption);

    await expect(t.channel.sendText('1001', 'x'.repeat(4001))).rejects.toThrow(/at most 4000/);
  });

  it('waits out flood control (429 retry_after) and delivers, photos included; gives up after three', async () => {
    const t = await setup();
    dir = mkdtempSync(join(tmpdir(), 'tg-'));
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 9, 9, 0xff, 0xd9]);
    writeFileSync(join(dir, 'snap.jpg'), jpeg);
    t.fake.rateLimitNext('sendMessage', 1);
    await t.channel.sendText('1001', 'second chunk');
    t.fake.rateLimitNext('sendPhoto', 0);
    await t.channel.sendMedia('1001', { path: join(dir, 'snap.jpg'), mimeType: 'image/jpeg' });
    const sends = t.fake.calls.filter((c) => c.method === 'sendMessage' || c.method === 'sendPhoto');
    expect(sends.map((c) => c.method)).toEqual(['sendMessage', 'sendMessage', 'sendPhoto', 'sendPhoto']);
    expect(sends[3]!.files).toEqual([expect.objectContaining({ field: 'photo', data: jpeg })]);
    expect(t.lines.filter((l) => l.includes('flood control (429)'))).toHaveLength(2);

    t.fake.rateLimitNext('sendMessage', 0, 4);
    await expect(t.channel.sendText('1001', 'never')).rejects.toThrow(/429|Too Many Requests/);
    t.fake.rateLimitNext('sendMessage', 3600);
    await expect(t.channel.sendText('1001', 'an hour is too long to hold a reply')).rejects.toThrow(/retry after 3600/);
  });

  it('a photo arrives with its caption, and is downloaded only when asked, at the largest size within the limit', async () => {
    const t = await setup();
    await t.channel.start({ onMessage: t.onMessage, onAction: async () => {} });
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 7)]);
    // A bigger size whose claimed 25 MB is beyond both our limit and getFile's: never asked for.
    t.fake.queuePhoto({ chatId: 1001, fromId: 1001, data: jpeg, caption: 'what is this?', extraSizes: [{ width: 9000, height: 9000, fileSize: 25 * 1024 * 1024 }] });
    t.fake.queuePhoto({ chatId: 1001, fromId: 1001, data: Buffer.from('#!/bin/sh\necho not a picture\n') });
    await vi.waitFor(() => expect(t.received).toHaveLength(2), WAIT);
    expect(t.fake.calls.some((c) => c.method === 'getFile' || c.method === 'file')).toBe(false);
    expect(t.received[0]).toMatchObject({ text: 'what is this?', chatKind: 'dm' });
    expect(await t.received[0]!.fetchImages!()).toEqual([{ mimeType: 'image/jpeg', base64: jpeg.toString('base64') }]);
    expect(t.fake.calls.filter((c) => c.method === 'getFile')).toHaveLength(1);
    expect(t.received[1]!.text).toBe('');
    await expect(t.received[1]!.fetchImages!()).rejects.toThrow(/not a JPEG, PNG or WebP/);
    // A file_path that climbs out of the bot's file root is never fetched.
    t.fake.queuePhoto({ chatId: 1001, fromId: 1001, data: jpeg, filePath: '../../internal' });
    await vi.waitFor(() => expect(t.received).toHaveLength(3), WAIT);
    await expect(t.received[2]!.fetchImages!()).rejects.toThrow(/did not say where the file is/);
    expect(t.fake.calls.filter((c) => c.method === 'file')).toHaveLength(2);
  });

  it('recovers from 409 conflicts and keeps receiving', async () => {
    const t = await setup();
    await t.channel.start({ onMessage: t.onMessage, onAction: async () => {} });
    await vi.waitFor(() => expect(t.fake.pendingPolls()).toBe(1), WAIT);
    // A second consumer terminates the held poll with 409 (the switch is exercised in the next test).
    const other = await fetch(`${t.fake.apiRoot}/bot${TOKEN}/getUpdates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"timeout":0}' });
    expect(other.status).toBe(200);
    await vi.waitFor(() => expect(t.lines.filter((l) => l.includes('409 Conflict'))).toHaveLength(1), WAIT);
    expect(t.lines.some((l) => /reconnect|retrying/.test(l))).toBe(true);
    await vi.waitFor(() => {
      expect(t.channel.status().state).toBe('connected');
      expect(t.fake.pendingPolls()).toBe(1);
    }, WAIT);
    t.fake.queueMessage({ chatId: 1001, chatType: 'private', fromId: 1001, text: 'still there?' });
    await vi.waitFor(() => expect(t.received.map((m) => m.text)).toEqual(['still there?']), WAIT);
  });

  it('reports reconnecting with the reason while backing off', async () => {
    const t = await setup();
    channel = createTelegramChannel({ botToken: TOKEN, apiRoot: t.fake.apiRoot, log: recordingLog(t.lines), retry: { initialMs: 60_000 } });
    t.fake.failNextGetUpdates();
    await channel.start({ onMessage: t.onMessage, onAction: async () => {} });
    await vi.waitFor(() => expect(channel!.status()).toMatchObject({ state: 'reconnecting', reason: expect.stringContaining('409 Conflict') }), WAIT);
  });

  it('ends in failed on a wrong token, naming the config key, never the token', async () => {
    const wrong = '999999:AAE-wrong-secret-token';
    const t = await setup(wrong);
    await t.channel.start({ onMessage: t.onMessage, onAction: async () => {} });
    expect(t.channel.status().state).toBe('failed');
    expect(t.channel.status().reason).toContain('channels.telegram.botToken');
    const everything = [JSON.stringify(t.channel.status()), ...t.lines].join('\n');
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain('AAE-wrong');
    const error = (await t.channel.sendText('1', 'hi').then(() => undefined, (e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(`${error.message} ${String((error.cause as Error | undefined)?.message)}`).not.toContain(wrong);
    expect(t.fake.calls).toHaveLength(0);
  });

  it('stop() ends polling cleanly', async () => {
    const t = await setup();
    await t.channel.start({ onMessage: t.onMessage, onAction: async () => {} });
    await vi.waitFor(() => expect(t.fake.pendingPolls()).toBe(1), WAIT);
    await t.channel.stop();
    expect(t.channel.status().state).toBe('stopped');
    await vi.waitFor(() => expect(t.fake.pendingPolls()).toBe(0), WAIT);
    const polls = t.fake.calls.filter((c) => c.method === 'getUpdates').length;
    t.fake.queueMessage({ chatId: 1001, chatType: 'private', fromId: 1001, text: 'after stop' });
    // One more confirming call at most has been made already; nothing further polls.
    expect(t.fake.calls.filter((c) => c.method === 'getUpdates').length).toBe(polls);
    expect(t.received).toEqual([]);
    expect(t.lines.some((l) => l.startsWith('telegram: polling as @tether_bot'))).toBe(true);
  });
});

describe('splitCaption', () => {
  it('keeps a short caption, cuts a long one at a space', () => {
    expect(splitCaption(undefined)).toEqual({});
    expect(splitCaption('hi')).toEqual({ caption: 'hi' });
    const { caption, rest } = splitCaption(`${'a'.repeat(1000)} ${'b'.repeat(100)}`);
    expect(caption).toBe('a'.repeat(1000));
    expect(rest).toBe('b'.repeat(100));
    expect(splitCaption('c'.repeat(2000)).caption).toHaveLength(1024);
  });
});
