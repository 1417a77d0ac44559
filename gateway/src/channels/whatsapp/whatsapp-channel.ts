/**
 * The WhatsApp channel: a Baileys socket (WhatsApp Web multi-device, linked to a phone by
 * `tether channels login whatsapp`), supervised. Baileys is loaded only by the socket factory
 * (whatsapp-socket.ts), so a gateway without WhatsApp configured never imports it.
 *
 * - Inbound: `messages.upsert` of type "notify" → InboundMessage (whatsapp-inbound.ts); 1:1 chats are
 *   'dm', `@g.us` chats 'group', mentioned when the bot's phone JID or LID is in mentionedJid (or the
 *   message quotes the bot). Handlers are not awaited: a slow agent turn must not stall other chats.
 * - No buttons: approvals are answered with reply commands (/approve CODE).
 * - sendText → sendMessage {text}, at most textLimit (4,000, OpenClaw's chunk limit); sendMedia →
 *   image / video / document with a caption; sendTyping → presence "composing".
 * - Supervision on `connection.update`: "open" → connected; a close with loggedOut (401) → failed (the
 *   phone unlinked this device); any other close (restartRequired 515, connectionLost 408, …) →
 *   reconnect with backoff on the saved credentials, never a new QR. No credentials saved → failed
 *   "not linked". A QR offered to a running channel means the credentials no longer work: failed too.
 */
import { join } from 'node:path';
import { safeLabel } from '@tether/protocol';
import type { Logger } from '../../log.js';
import type { Channel, ChannelHandlers, OutboundMedia } from '../channel.js';
import { normaliseWhatsAppId, userJid, isGroupJid } from './whatsapp-ids.js';
import { toInboundMessage } from './whatsapp-inbound.js';
import { DISCONNECT, disconnectCode, makeBaileysSocket, readLinkedAccount, tightenAuthDir, type MakeWhatsAppSocket, type WhatsAppContent, type WhatsAppSocket } from './whatsapp-socket.js';
import { ChannelStatusKeeper, defaultSetTimer, type SetTimer } from '../supervision.js';

export const WHATSAPP_TEXT_LIMIT = 4000;
export const NOT_LINKED = 'not linked: run `tether channels login whatsapp`';
export const LOGGED_OUT = 'logged out: run `tether channels login whatsapp`';

export type { SetTimer };

export interface WhatsAppChannelOptions {
  authDir: string;
  wsUrl?: string;
  log: Logger;
  makeSocket?: MakeWhatsAppSocket;
  /** Reconnect backoff: doubles from initialMs up to maxMs. Default 1 s → 60 s. */
  retry?: { initialMs?: number; maxMs?: number };
  setTimer?: SetTimer;
  /** How long start() waits for the first open or close; default 15 s. */
  startWaitMs?: number;
}

export function defaultWhatsAppAuthDir(stateDir: string): string {
  return join(stateDir, 'channels', 'whatsapp', 'auth');
}

const describe = (error: unknown) => safeLabel(error instanceof Error ? error.message : String(error), 200);

export function createWhatsAppChannel(options: WhatsAppChannelOptions): Channel {
  const { authDir, log } = options;
  const makeSocket = options.makeSocket ?? makeBaileysSocket;
  const setTimer = options.setTimer ?? defaultSetTimer;
  const initialMs = options.retry?.initialMs ?? 1000;
  const maxMs = options.retry?.maxMs ?? 60_000;

  const status = new ChannelStatusKeeper();
  let socket: WhatsAppSocket | undefined;
  let connected = false;
  let botIds: string[] = [];
  let stopping = true;
  let delay = initialMs;
  let cancelRetry: (() => void) | undefined;
  let firstOutcome: (() => void) | undefined;
  const settleStart = () => {
    firstOutcome?.();
    firstOutcome = undefined;
  };

  const fail = (reason: string) => {
    status.set({ state: 'failed', reason });
    log.error(`whatsapp: ${reason}`);
    const current = socket;
    socket = undefined;
    connected = false;
    current?.end(undefined);
    settleStart();
  };

  const scheduleReconnect = (handlers: ChannelHandlers, why: string) => {
    socket = undefined;
    connected = false;
    status.set({ state: 'reconnecting', reason: `${why}; reconnecting in ${Math.round(delay / 100) / 10} s` });
    log.warn(`whatsapp: ${status.reason}`);
    settleStart();
    const wait = delay;
    delay = Math.min(delay * 2, maxMs);
    cancelRetry = setTimer(() => {
      cancelRetry = undefined;
      void connect(handlers);
    }, wait);
  };

  const connect = async (handlers: ChannelHandlers): Promise<void> => {
    if (stopping) return;
    const account = await readLinkedAccount(authDir);
    if (stopping) return;
    if (!account) return fail(NOT_LINKED);
    botIds = [account.id, ...(account.lid ? [account.lid] : [])];
    let session;
    try {
      await tightenAuthDir(authDir);
      session = await makeSocket({ authDir, ...(options.wsUrl ? { wsUrl: options.wsUrl } : {}), log });
    } catch (error) {
      if (!stopping) scheduleReconnect(handlers, `could not open the WhatsApp socket: ${describe(error)}`);
      return;
    }
    const sock = session.socket;
    if (stopping) {
      sock.end(undefined);
      return;
    }
    socket = sock;
    const live = () => socket === sock && !stopping;
    sock.ev.on('creds.update', () => {
      session.saveCreds().catch((error: unknown) => log.warn(`whatsapp: saving the credentials failed: ${describe(error)}`));
    });
    sock.ev.on('connection.update', (update) => {
      if (!live()) return;
      if (typeof update.qr === 'string') return fail(NOT_LINKED);
      if (update.connection === 'open') {
        connected = true;
        delay = initialMs;
        const user = sock.user;
        const ids = [userJid(user?.id), userJid(user?.lid)].filter((id): id is string => id !== undefined);
        if (ids.length > 0) botIds = [...new Set([...ids, ...botIds])];
        status.set({ state: 'connected' });
        log.info(`whatsapp: connected as ${safeLabel(botIds[0], 64)}`);
        settleStart();
        return;
      }
      if (update.connection !== 'close') return;
      const code = disconnectCode(update);
      if (code === DISCONNECT.loggedOut) return fail(LOGGED_OUT);
      scheduleReconnect(handlers, `connection closed (${closeReason(code, update)})`);
    });
    sock.ev.on('messages.upsert', (upsert) => {
      if (!live() || upsert?.type !== 'notify' || !Array.isArray(upsert.messages)) return;
      for (const raw of upsert.messages) {
        let inbound;
        try {
          inbound = toInboundMessage(raw, { ids: botIds });
        } catch (error) {
          log.debug(`whatsapp: dropped a malformed message: ${describe(error)}`);
          continue;
        }
        if (!inbound) continue;
        status.messageSeen();
        void handlers.onMessage(inbound).catch((error: unknown) => log.warn(`whatsapp: message handler failed: ${describe(error)}`));
      }
    });
  };

  const requireSocket = (): WhatsAppSocket => {
    if (!socket || !connected) throw new Error(`whatsapp: not connected (${status.state}${status.reason ? `: ${status.reason}` : ''})`);
    return socket;
  };
  const target = (chatId: string): string => {
    const jid = chatId.trim().toLowerCase();
    if (isGroupJid(jid) || userJid(jid) === jid) return jid;
    throw new RangeError(`whatsapp: "${safeLabel(chatId, 64)}" is not a WhatsApp chat id`);
  };
  const send = async (chatId: string, content: WhatsAppContent) => {
    const jid = target(chatId);
    try {
      return await requireSocket().sendMessage(jid, content);
    } catch (error) {
      throw new Error(`whatsapp: sending to ${safeLabel(jid, 64)} failed: ${describe(error)}`);
    }
  };

  const channel: Channel = {
    name: 'whatsapp',
    textLimit: WHATSAPP_TEXT_LIMIT,
    supportsButtons: false,
    // WhatsApp reads *bold*, _italic_, ~strike~ and ``` blocks in message text.
    rendersMarkdown: true,
    async start(handlers) {
      if (!stopping) throw new Error('the WhatsApp channel is already started');
      stopping = false;
      delay = initialMs;
      status.set({ state: 'starting' });
      // The gateway's start waits for the first outcome, but never longer than startWaitMs: a handshake
      // that hangs shows as "starting" while Baileys' own connect timeout runs.
      const bound = setTimeout(settleStart, options.startWaitMs ?? 15_000);
      bound.unref?.();
      await new Promise<void>((resolve) => {
        firstOutcome = resolve;
        connect(handlers).catch((error: unknown) => fail(`supervisor crashed: ${describe(error)}`));
      });
      clearTimeout(bound);
    },
    async stop() {
      stopping = true;
      cancelRetry?.();
      cancelRetry = undefined;
      const current = socket;
      socket = undefined;
      connected = false;
      current?.end(undefined);
      settleStart();
      status.set({ state: 'stopped' });
    },
    status: () => status.get(),
    async sendText(chatId, text) {
      if (text.trim() === '') throw new RangeError('a WhatsApp message cannot be empty');
      if (text.length > WHATSAPP_TEXT_LIMIT) throw new RangeError(`a WhatsApp message is at most ${WHATSAPP_TEXT_LIMIT} characters here: chunk it first`);
      // No link preview: building one would fetch a URL the model wrote, from the gateway's machine.
      const sent = await send(chatId, { text, linkPreview: null });
      const id = sent?.key?.id;
      return typeof id === 'string' ? { messageId: id } : undefined;
    },
    async sendMedia(chatId, media: OutboundMedia) {
      if (!media.path.startsWith('/')) throw new RangeError('whatsapp: media must be a local file with an absolute path');
      const caption = media.caption?.trim() ? media.caption.slice(0, WHATSAPP_TEXT_LIMIT) : undefined;
      const source = { url: media.path };
      const extra = caption ? { caption } : {};
      if (media.mimeType.startsWith('image/')) await send(chatId, { image: source, mimetype: media.mimeType, ...extra });
      else if (media.mimeType.startsWith('video/')) await send(chatId, { video: source, mimetype: media.mimeType, ...extra });
      else await send(chatId, { document: source, mimetype: media.mimeType, fileName: media.path.split('/').pop() || 'file', ...extra });
    },
    async sendTyping(chatId) {
      const jid = target(chatId);
      await requireSocket().sendPresenceUpdate('composing', jid);
    },
    // A direct chat's id is the person's JID; a phone number is turned into one.
    directChatId: async (userId) => normaliseWhatsAppId(userId),
  };
  return channel;
}

function closeReason(code: number | undefined, update: { lastDisconnect?: { error?: unknown } }): string {
  const names: Record<number, string> = {
    [DISCONNECT.restartRequired]: 'restart required',
    [DISCONNECT.connectionLost]: 'connection lost',
    [DISCONNECT.connectionClosed]: 'connection closed',
    [DISCONNECT.connectionReplaced]: 'replaced by another WhatsApp Web session with the same credentials',
  };
  if (code !== undefined && names[code]) return `${code} ${names[code]}`;
  const error = update.lastDisconnect?.error;
  const message = error instanceof Error ? error.message : undefined;
  return [code, message ? describe(error) : undefined].filter((part) => part !== undefined).join(' ') || 'no reason given';
}
