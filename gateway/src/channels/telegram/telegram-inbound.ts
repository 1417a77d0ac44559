/**
 * What Telegram delivers, turned into the channel layer's shapes: text and photo messages into
 * InboundMessage (`mentioned` when the text or caption names @botusername or the message replies to the
 * bot), button presses (callback queries with data) into InboundAction, whose acknowledge answers the
 * callback query (the toast Telegram shows the presser). Photos are fetched only when the conversation
 * layer asks (after its access check). Handlers are not awaited by grammY's update loop: a slow agent
 * turn must not stall every other chat; their rejections are logged.
 */
import type { Bot, Context } from 'grammy';
import type { File, PhotoSize } from 'grammy/types';
import type { Logger } from '../../log.js';
import { sniffImage } from '../../media/sniff-image.js';
import { ChannelMediaError, MAX_INBOUND_IMAGE_BYTES, type ChannelHandlers, type InboundImage, type InboundMessage } from '../channel.js';

export interface InboundDeps {
  handlers: ChannelHandlers;
  log: Logger;
  /** Error text with the token redacted. */
  describe(err: unknown): string;
  /** Overrides the username from getMe for mention detection (without the @). */
  botUsername?: string;
  /** Called for every message or press delivered (the channel's lastMessageAtMs). */
  seen(): void;
  fetchPhoto(sizes: readonly PhotoSize[]): Promise<InboundImage[]>;
}

export function attachInbound(bot: Bot, deps: InboundDeps): void {
  const { handlers, log, describe } = deps;
  bot.on(['message:text', 'message:photo'], (ctx) => {
    const inbound = toInbound(ctx, deps);
    if (!inbound) return;
    deps.seen();
    void handlers.onMessage(inbound).catch((err: unknown) => log.warn(`telegram: message handler failed: ${describe(err)}`));
  });
  bot.on('callback_query:data', (ctx) => {
    const query = ctx.callbackQuery;
    const chatId = query.message?.chat.id ?? query.from.id;
    const name = [query.from.first_name, query.from.last_name].filter(Boolean).join(' ') || query.from.username;
    deps.seen();
    void handlers
      .onAction({
        channel: 'telegram',
        chatId: String(chatId),
        senderId: String(query.from.id),
        ...(name ? { senderName: name } : {}),
        data: query.data,
        ...(query.message ? { messageId: String(query.message.message_id) } : {}),
        acknowledge: async (text) => {
          await ctx.answerCallbackQuery({ text: text.slice(0, 200) }).catch((err: unknown) => log.debug(`telegram: answering a button press failed: ${describe(err)}`));
        },
      })
      .catch((err: unknown) => log.warn(`telegram: button handler failed: ${describe(err)}`));
  });
}

function toInbound(ctx: Context, deps: InboundDeps): InboundMessage | undefined {
  const msg = ctx.message;
  if (!msg || !msg.from) return undefined;
  const photo = Array.isArray(msg.photo) && msg.photo.length > 0 ? msg.photo : undefined;
  const text = typeof msg.text === 'string' ? msg.text : photo && typeof msg.caption === 'string' ? msg.caption : photo ? '' : undefined;
  if (text === undefined) return undefined;
  const me = ctx.me;
  const username = (deps.botUsername ?? me?.username ?? '').replace(/^@/, '').toLowerCase();
  const mentionsBot = username !== '' && new RegExp(`(^|[^\\w])@${escapeRegExp(username)}(?![\\w])`, 'i').test(text);
  const repliesToBot = me !== undefined && msg.reply_to_message?.from?.id === me.id;
  const name = [msg.from.first_name, msg.from.last_name].filter(Boolean).join(' ') || msg.from.username;
  return {
    channel: 'telegram',
    chatId: String(msg.chat.id),
    chatKind: msg.chat.type === 'private' ? 'dm' : 'group',
    senderId: String(msg.from.id),
    ...(name ? { senderName: name } : {}),
    text,
    mentioned: mentionsBot || repliesToBot,
    messageId: String(msg.message_id),
    ...(photo ? { fetchImages: () => deps.fetchPhoto(photo) } : {}),
  };
}

/** The photo's largest size Telegram will hand a bot (getFile serves up to 20 MB) within our limit. */
export async function fetchTelegramPhoto(
  sizes: readonly PhotoSize[],
  api: { getFile(fileId: string): Promise<File>; fileUrl(path: string): string; describe(err: unknown): string },
): Promise<InboundImage[]> {
  const fitting = sizes.filter((size) => (size.file_size ?? 0) <= MAX_INBOUND_IMAGE_BYTES).sort((a, b) => b.width * b.height - a.width * a.height);
  const best = fitting[0];
  if (!best) throw new ChannelMediaError(`it is larger than ${MAX_INBOUND_IMAGE_BYTES / 1024 / 1024} MB`);
  const file = await api.getFile(best.file_id);
  // The path is the platform's word: it may only name a file below the bot's file root.
  if (!file.file_path || !SAFE_FILE_PATH.test(file.file_path) || file.file_path.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new ChannelMediaError('Telegram did not say where the file is');
  }
  const url = api.fileUrl(file.file_path.split('/').map(encodeURIComponent).join('/'));
  const data = await download(url, MAX_INBOUND_IMAGE_BYTES).catch((err: unknown) => {
    throw err instanceof ChannelMediaError ? err : new Error(`telegram: downloading a photo failed: ${api.describe(err)}`);
  });
  const mimeType = sniffImage(data);
  if (mimeType !== 'image/jpeg' && mimeType !== 'image/png' && mimeType !== 'image/webp') throw new ChannelMediaError('it is not a JPEG, PNG or WebP image');
  return [{ mimeType, base64: Buffer.from(data).toString('base64') }];
}

/** GET `url` into memory, refusing more than `limit` bytes (counted as they arrive, not as claimed). */
async function download(url: string, limit: number): Promise<Uint8Array> {
  // No redirects: the file is on the Bot API server, nowhere else.
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(60_000) });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > limit) throw new ChannelMediaError(`it is larger than ${limit / 1024 / 1024} MB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const SAFE_FILE_PATH = /^[A-Za-z0-9_.\-/]{1,512}$/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
