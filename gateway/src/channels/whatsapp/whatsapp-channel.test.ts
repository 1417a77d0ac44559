import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dmMessage, fakeSocketFactory, groupMessage } from '../../../../test/helpers/fake-whatsapp.js';
import { recordingLog } from '../../../../test/helpers/fake-whatsapp-agent.js';
import type { InboundMessage } from '../channel.js';
import { createWhatsAppChannel, LOGGED_OUT, NOT_LINKED, WHATSAPP_TEXT_LIMIT, type SetTimer } from './whatsapp-channel.js';
import { MAX_WHATSAPP_INBOUND_CHARS } from './whatsapp-inbound.js';

const BOT = { id: '4915100000001@s.whatsapp.net', lid: '99000000000001@lid' };
const ALICE = { pn: '4915112345678@s.whatsapp.net', lid: '12345678901234@lid' };
const GROUP = '120363000000000001@g.us';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** An auth folder holding credentials of a linked account (what `tether channels login whatsapp` leaves). */
function linkedAuthDir(account: { id: string; lid?: string } | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-wa-'));
  dirs.push(dir);
  const authDir = join(dir, 'auth');
  mkdirSync(authDir, { recursive: true });
  if (account) writeFileSync(join(authDir, 'creds.json'), JSON.stringify({ registered: false, me: { id: account.id.replace('@', ':7@'), ...(account.lid ? { lid: account.lid.replace('@', ':7@') } : {}), name: 'Tether' } }));
  return authDir;
}

class ManualTimers {
  pending: { fn: () => void; ms: number }[] = [];
  setTimer: SetTimer = (fn, ms) => {
    const entry = { fn, ms };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((t) => t !== entry);
    };
  };
  async fireNext(): Promise<number> {
    const next = this.pending.shift();
    if (!next) throw new Error('no timer pending');
    next.fn();
    await flush();
    return next.ms;
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits (polling; bounded, nothing asserts on time) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  if (!condition()) throw new Error('condition never held');
}

async function setup(options: { account?: { id: string; lid?: string } | null; autoOpen?: boolean } = {}) {
  const authDir = linkedAuthDir(options.account === undefined ? BOT : options.account);
  const autoOpen = options.autoOpen ?? true;
  const factory = fakeSocketFactory(BOT, { onSocket: (socket) => autoOpen && setImmediate(() => socket.open()) });
  const timers = new ManualTimers();
  const { log, lines } = recordingLog();
  const channel = createWhatsAppChannel({ authDir, log, makeSocket: factory.makeSocket, setTimer: timers.setTimer, retry: { initialMs: 1000, maxMs: 4000 } });
  const inbound: InboundMessage[] = [];
  const handlers = { onMessage: async (message: InboundMessage) => void inbound.push(message), onAction: async () => {} };
  return { authDir, factory, timers, channel, inbound, handlers, lines };
}

async function started(options?: Parameters<typeof setup>[0]) {
  const context = await setup(options);
  await context.channel.start(context.handlers);
  return { ...context, socket: context.factory.last };
}

describe('WhatsApp channel: inbound', () => {
  it('a 1:1 text becomes a dm InboundMessage from the sender, with the other id as an alias', async () => {
    const { socket, inbound, channel } = await started();
    expect(channel.status().state).toBe('connected');
    socket.upsert([dmMessage({ jid: ALICE.pn, alt: ALICE.lid }, 'hello', { id: 'ABC123' })]);
    expect(inbound).toEqual([
      { channel: 'whatsapp', chatId: ALICE.pn, chatKind: 'dm', senderId: ALICE.pn, senderAliases: [ALICE.lid], senderName: 'Alice', text: 'hello', mentioned: false, messageId: 'ABC123' },
    ]);
    expect(channel.status().lastMessageAtMs).toBeTypeOf('number');
  });

  it('a message arriving by LID names the LID as sender and the phone JID as alias (and the reverse)', async () => {
    const { socket, inbound } = await started();
    socket.upsert([dmMessage({ jid: ALICE.lid, alt: ALICE.pn }, 'by lid')]);
    socket.upsert([{ ...dmMessage({ jid: ALICE.pn }, 'legacy'), key: { remoteJid: ALICE.pn, fromMe: false, id: 'L1', senderLid: ALICE.lid } }]);
    expect(inbound.map((m) => [m.chatId, m.senderId, m.senderAliases])).toEqual([
      [ALICE.lid, ALICE.lid, [ALICE.pn]],
      [ALICE.pn, ALICE.pn, [ALICE.lid]],
    ]);
  });

  it('extendedTextMessage and disappearing-message wrappers carry text too', async () => {
    const { socket, inbound } = await started();
    const base = dmMessage({ jid: ALICE.pn }, '');
    socket.upsert([
      { ...base, key: { ...base.key, id: 'E1' }, message: { extendedTextMessage: { text: 'with a link https://example.org' } } },
      { ...base, key: { ...base.key, id: 'E2' }, message: { ephemeralMessage: { message: { extendedTextMessage: { text: 'vanishing' } } } } },
    ]);
    expect(inbound.map((m) => m.text)).toEqual(['with a link https://example.org', 'vanishing']);
  });

  it('in a group: sender is the participant; mentioned only when the bot (phone JID or LID) is mentioned or quoted', async () => {
    const { socket, inbound } = await started();
    socket.upsert([
      groupMessage(GROUP, { jid: ALICE.lid, alt: ALICE.pn }, 'no mention'),
      groupMessage(GROUP, { jid: ALICE.lid, alt: ALICE.pn }, '@bot hi', [BOT.lid]),
      groupMessage(GROUP, { jid: ALICE.pn }, '@bot hi', ['4915100000001:7@s.whatsapp.net']),
      groupMessage(GROUP, { jid: ALICE.pn }, '@someone', ['4915199999999@s.whatsapp.net']),
    ]);
    const quoted = groupMessage(GROUP, { jid: ALICE.pn }, 'replying');
    quoted.message.extendedTextMessage.contextInfo = { stanzaId: 'X', participant: BOT.lid, quotedMessage: { conversation: 'earlier answer' } } as never;
    socket.upsert([quoted]);
    expect(inbound.map((m) => [m.chatKind, m.chatId, m.senderId, m.mentioned])).toEqual([
      ['group', GROUP, ALICE.lid, false],
      ['group', GROUP, ALICE.lid, true],
      ['group', GROUP, ALICE.pn, true],
      ['group', GROUP, ALICE.pn, false],
      ['group', GROUP, ALICE.pn, true],
    ]);
    expect(inbound[0]!.senderAliases).toEqual([ALICE.pn]);
  });

  it('ignores our own messages, status updates, broadcasts, newsletters, protocol messages, reactions, history appends', async () => {
    const { socket, inbound } = await started();
    const own = dmMessage({ jid: ALICE.pn }, 'sent from my phone');
    own.key.fromMe = true;
    const status = dmMessage({ jid: 'status@broadcast' }, 'my status');
    (status.key as Record<string, unknown>).participant = ALICE.pn;
    const newsletter = dmMessage({ jid: '120363000000000002@newsletter' }, 'news');
    const base = dmMessage({ jid: ALICE.pn }, '');
    socket.upsert([
      own,
      status,
      newsletter,
      { ...base, key: { ...base.key, id: 'P1' }, message: { protocolMessage: { type: 0, key: { id: 'gone' } }, conversation: 'x' } },
      { ...base, key: { ...base.key, id: 'R1' }, message: { reactionMessage: { text: '👍', key: { id: 'm' } } } },
      { ...base, key: { ...base.key, id: 'I1' }, message: { imageMessage: { mimetype: 'image/jpeg' } } },
    ]);
    socket.upsert([dmMessage({ jid: ALICE.pn }, 'old history')], 'append');
    expect(inbound).toEqual([]);
  });

  it('hostile messages are dropped or made safe, never crash the channel', async () => {
    const { socket, inbound, channel } = await started();
    const base = dmMessage({ jid: ALICE.pn }, 'x');
    socket.upsert([
      null,
      42,
      'text',
      {},
      { message: { conversation: 'no key' } },
      { key: 'not an object', message: { conversation: 'x' } },
      { key: { remoteJid: 7, id: 'A', fromMe: false }, message: { conversation: 'numeric jid' } },
      { key: { remoteJid: ALICE.pn, fromMe: false }, message: { conversation: 'no id' } },
      { key: { remoteJid: ALICE.pn, fromMe: false, id: 'bad id\n' }, message: { conversation: 'bad id' } },
      { key: { remoteJid: ALICE.pn, fromMe: false, id: 'N1' }, message: { conversation: { toString: () => 'object' } } },
      { key: { remoteJid: ALICE.pn, fromMe: false, id: 'N2' }, message: { conversation: 12345 } },
      { key: { remoteJid: ALICE.pn, fromMe: false, id: 'N3' }, message: null },
      { key: { remoteJid: '../../etc/passwd@s.whatsapp.net', fromMe: false, id: 'J1' }, message: { conversation: 'bad jid' } },
      { key: { remoteJid: GROUP, fromMe: false, id: 'G1' }, message: { conversation: 'group without participant' } },
      { ...base, key: { ...base.key, id: 'M1' }, message: { extendedTextMessage: { text: 'mentions', contextInfo: { mentionedJid: 'not-an-array' } } } },
      { ...base, key: { ...base.key, id: 'W1' }, message: { ephemeralMessage: { message: { ephemeralMessage: { message: { ephemeralMessage: { message: { ephemeralMessage: { message: { ephemeralMessage: { message: { conversation: 'deep' } } } } } } } } } } } },
    ]);
    socket.emit('messages.upsert', { messages: 'nope' as never, type: 'notify' });
    socket.emit('messages.upsert', null as never);
    expect(inbound.map((m) => m.messageId)).toEqual(['M1']);
    expect(inbound[0]!.mentioned).toBe(false);

    const huge = 'A'.repeat(MAX_WHATSAPP_INBOUND_CHARS * 3);
    socket.upsert([dmMessage({ jid: ALICE.pn }, huge, { pushName: 'Mallory\u001b[2J\u202eevil\u0000\n'.repeat(20) })]);
    const last = inbound.at(-1)!;
    expect(last.text.length).toBe(MAX_WHATSAPP_INBOUND_CHARS);
    expect(last.senderName).toMatch(/^Mallory\[2Jevil/);
    expect(last.senderName!.length).toBeLessThanOrEqual(64);
    // eslint-disable-next-line no-control-regex
    expect(last.senderName).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(channel.status().state).toBe('connected');
  });
});

describe('WhatsApp channel: outbound', () => {
  it('sends text, media with captions and typing as Baileys calls; refuses over-long and empty text', async () => {
    const { socket, channel } = await started();
    expect(await channel.sendText(ALICE.lid, 'hi there')).toEqual({ messageId: expect.stringMatching(/^3EB0/) });
    await channel.sendMedia(ALICE.pn, { path: '/media/a.jpg', mimeType: 'image/jpeg', caption: 'kitchen: camera.snap' });
    await channel.sendMedia(ALICE.pn, { path: '/media/b.mp4', mimeType: 'video/mp4' });
    await channel.sendMedia(GROUP, { path: '/media/c.pdf', mimeType: 'application/pdf', caption: 'doc' });
    await channel.sendTyping(ALICE.pn);
    expect(socket.sent).toEqual([
      { jid: ALICE.lid, content: { text: 'hi there', linkPreview: null } },
      { jid: ALICE.pn, content: { image: { url: '/media/a.jpg' }, mimetype: 'image/jpeg', caption: 'kitchen: camera.snap' } },
      { jid: ALICE.pn, content: { video: { url: '/media/b.mp4' }, mimetype: 'video/mp4' } },
      { jid: GROUP, content: { document: { url: '/media/c.pdf' }, mimetype: 'application/pdf', fileName: 'c.pdf', caption: 'doc' } },
    ]);
    expect(socket.presence).toEqual([{ type: 'composing', jid: ALICE.pn }]);
    expect(channel.textLimit).toBe(4000);
    expect(channel.supportsButtons).toBe(false);
    await expect(channel.sendText(ALICE.pn, 'x'.repeat(WHATSAPP_TEXT_LIMIT + 1))).rejects.toThrow(/at most 4000/);
    await expect(channel.sendText(ALICE.pn, '  ')).rejects.toThrow(/empty/);
    await expect(channel.sendText('not a jid', 'hi')).rejects.toThrow(/not a WhatsApp chat id/);
    await expect(channel.sendMedia(ALICE.pn, { path: 'https://evil.example/x.jpg', mimeType: 'image/jpeg' })).rejects.toThrow(/absolute path/);
  });

  it('directChatId turns a phone number into its JID and keeps a LID', async () => {
    const { channel } = await setup();
    expect(await channel.directChatId('+49 151 1234 5678')).toBe(ALICE.pn);
    expect(await channel.directChatId(ALICE.lid)).toBe(ALICE.lid);
  });

  it('sending while not connected fails with the state, not a crash', async () => {
    const { channel } = await setup();
    await expect(channel.sendText(ALICE.pn, 'hi')).rejects.toThrow(/not connected \(stopped\)/);
  });
});

describe('WhatsApp channel: supervision', () => {
  it('without saved credentials it fails "not linked" and never opens a socket', async () => {
    const { channel, handlers, factory, lines } = await setup({ account: null });
    await channel.start(handlers);
    expect(channel.status()).toEqual({ state: 'failed', reason: NOT_LINKED });
    expect(factory.sockets).toHaveLength(0);
    expect(lines.join('\n')).toContain('tether channels login whatsapp');
  });

  it('a restartRequired (515) or connectionLost (408) close reconnects with backoff on the saved credentials, with no QR', async () => {
    const { channel, factory, timers, inbound, authDir } = await started();
    const creds = readFileSync(join(authDir, 'creds.json'), 'utf8');
    factory.last.close(515, 'Stream Errored (restart required)');
    expect(channel.status()).toMatchObject({ state: 'reconnecting', reason: expect.stringContaining('515 restart required') });
    expect(await timers.fireNext()).toBe(1000);
    await until(() => channel.status().state === 'connected');
    expect(factory.sockets).toHaveLength(2);

    factory.last.close(408, 'Connection was lost');
    expect(channel.status().reason).toContain('408 connection lost');
    expect(await timers.fireNext()).toBe(1000); // the backoff restarted after the open
    await until(() => channel.status().state === 'connected');
    factory.last.upsert([dmMessage({ jid: ALICE.pn }, 'after reconnect')]);
    expect(inbound.map((m) => m.text)).toEqual(['after reconnect']);
    // The old socket's late events are ignored.
    factory.sockets[0]!.upsert([dmMessage({ jid: ALICE.pn }, 'ghost')]);
    expect(inbound).toHaveLength(1);
    expect(readFileSync(join(authDir, 'creds.json'), 'utf8')).toBe(creds);
  });

  it('repeated failures back off doubling up to the maximum', async () => {
    const { channel, factory, timers, handlers } = await setup({ autoOpen: false });
    const starting = channel.start(handlers);
    await until(() => factory.sockets.length === 1 && factory.last.wired);
    factory.last.close(428);
    await starting;
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(await timers.fireNext());
      await until(() => factory.sockets.length === i + 2 && factory.last.wired);
      factory.last.close(428);
    }
    expect(delays).toEqual([1000, 2000, 4000, 4000]);
    expect(channel.status().state).toBe('reconnecting');
  });

  it('a loggedOut (401) close ends in failed, saying to log in again, and does not reconnect', async () => {
    const { channel, factory, timers } = await started();
    factory.last.close(401, 'Connection Failure');
    expect(channel.status()).toEqual({ state: 'failed', reason: LOGGED_OUT, lastMessageAtMs: undefined });
    expect(timers.pending).toHaveLength(0);
    expect(factory.sockets).toHaveLength(1);
  });

  it('a QR offered to the running channel means the link is gone: failed, not a QR in the gateway log', async () => {
    const { channel, factory, handlers, lines } = await setup({ autoOpen: false });
    const starting = channel.start(handlers);
    await until(() => factory.sockets.length === 1 && factory.last.wired);
    factory.last.qr('2@secret-qr-payload,abc');
    await starting;
    expect(channel.status()).toMatchObject({ state: 'failed', reason: NOT_LINKED });
    expect(factory.last.ended).toBe(true);
    expect(lines.join('\n')).not.toContain('secret-qr-payload');
  });

  it('start() does not wait for ever on a handshake that hangs: it resolves as "starting"', async () => {
    const { authDir, factory, handlers } = await setup({ autoOpen: false });
    const channel = createWhatsAppChannel({ authDir, log: recordingLog().log, makeSocket: factory.makeSocket, startWaitMs: 1 });
    await channel.start(handlers);
    expect(channel.status().state).toBe('starting');
    await until(() => factory.sockets.length === 1 && factory.last.wired);
    factory.last.open();
    expect(channel.status().state).toBe('connected');
    await channel.stop();
  });

  it('saves the credentials on every creds.update', async () => {
    const { factory } = await started();
    factory.last.emit('creds.update', { me: { id: BOT.id } });
    factory.last.emit('creds.update', {});
    await flush();
    expect(factory.saves).toBe(2);
  });

  it('stop() ends the socket and cancels a pending reconnect', async () => {
    const { channel, factory, timers } = await started();
    factory.last.close(408);
    expect(timers.pending).toHaveLength(1);
    await channel.stop();
    expect(timers.pending).toHaveLength(0);
    expect(channel.status().state).toBe('stopped');

    const again = await started();
    await again.channel.stop();
    expect(again.socket.ended).toBe(true);
    expect(again.channel.status().state).toBe('stopped');
    expect(again.factory.sockets).toHaveLength(1);
  });
});

