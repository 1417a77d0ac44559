/**
 * The Telegram channel (issue 10): grammY long polling (or a webhook), supervised. grammY is imported
 * only inside start() / the first send, so a gateway without Telegram configured never loads it.
 *
 * - What arrives (text, photos, button presses) is turned into the channel shapes in telegram-inbound.ts.
 * - Webhook mode (`webhook: {url, secretToken}`): start() calls setWebhook with the public URL (a
 *   reverse proxy in front of the gateway forwards it to POST /channels/telegram/webhook) and Telegram's
 *   secret header; handleWebhook refuses any delivery without that exact secret (compared in constant
 *   time), then hands the update to grammY. Switching back to polling deletes the webhook (grammY does).
 * - sendText takes at most textLimit (4,000) characters: the caller chunks (chunkText). Buttons go as
 *   one row of an inline keyboard; editText replaces the text and drops the keyboard.
 * - sendMedia: image/* → sendPhoto, video/* → sendVideo, anything else → sendDocument; a caption over
 *   1,024 characters is cut at a space and the rest follows as text messages.
 * - Supervision: grammY's bot.start() rejects on 401 and 409 (and on setup errors). 409 (another
 *   getUpdates consumer) and other errors restart polling with exponential backoff ('reconnecting');
 *   401 ends in 'failed' naming channels.telegram.botToken. The token is redacted from every string
 *   this module logs or reports.
 * - Deafness: every answered getUpdates (empty ones too, at least once per poll timeout) counts as
 *   hearing from Telegram (lastActivityAtMs). restart() aborts the poll in flight and polls afresh, for
 *   a poll stuck on a connection that went quiet (deaf-watchdog.ts decides when).
 */
import { timingSafeEqual } from 'node:crypto';
import { safeLabel } from '@tether/protocol';
import type { Api, Bot } from 'grammy';
import type { Logger } from '../../log.js';
import type { Channel, ChannelHandlers, OutboundMedia } from '../channel.js';
import { chunkText } from '../chunk-text.js';
import { attachInbound, fetchTelegramPhoto } from './telegram-inbound.js';
import { ChannelStatusKeeper, sdkNamespace, WakeableSleep } from '../supervision.js';

export const TELEGRAM_TEXT_LIMIT = 4000;
export const TELEGRAM_CAPTION_LIMIT = 1024;
const MAX_FLOOD_RETRIES = 3;
const MAX_FLOOD_WAIT_S = 60;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface TelegramChannelOptions {
  botToken: string;
  /** Bot API root without a trailing slash; default https://api.telegram.org. */
  apiRoot?: string;
  log: Logger;
  /** Overrides the username from getMe for mention detection (without the @). */
  botUsername?: string;
  /** Restart backoff after a failed poll: doubles from initialMs up to maxMs. Default 1 s → 30 s. */
  retry?: { initialMs?: number; maxMs?: number };
  /** getUpdates long-poll timeout in seconds; default 30. */
  pollTimeoutSeconds?: number;
  /** Silence (no getUpdates answer at all) after which the channel counts as deaf; default poll timeout + 30 s. */
  deafAfterMs?: number;
  /** Webhook mode instead of polling: the public HTTPS URL Telegram posts to, and the secret it sends. */
  webhook?: { url: string; secretToken: string };
}

/** Largest webhook body taken (an update is a few KB; Telegram's own cap is far below this). */
export const TELEGRAM_WEBHOOK_MAX_BYTES = 1024 * 1024;

type Grammy = typeof import('grammy');

export function createTelegramChannel(options: TelegramChannelOptions): Channel {
  const { botToken, log } = options;
  const initialMs = options.retry?.initialMs ?? 1000;
  const maxMs = options.retry?.maxMs ?? 30_000;
  const redact = (text: string) => (botToken ? text.split(botToken).join('<redacted>') : text);
  // Redacted, then made inert: API error descriptions are the platform's words, shown in our logs.
  const describe = (err: unknown) => safeLabel(redact(err instanceof Error ? err.message : String(err)), 300);

  let grammy: Grammy | undefined;
  const load = async (): Promise<Grammy> => (grammy ??= sdkNamespace<Grammy>(await import('grammy'), 'Bot'));
  let api: Api | undefined;
  const getApi = async () => {
    const g = await load();
    return (api ??= new g.Api(botToken, options.apiRoot ? { apiRoot: options.apiRoot } : undefined));
  };

  const status = new ChannelStatusKeeper(redact);
  let bot: Bot | undefined;
  let stopping = false;
  let loop: Promise<void> | undefined;
  const backoff = new WakeableSleep();
  let restartReason: string | undefined;
  /** Webhook mode: ends the wait of the current round (stop or restart). */
  let endWebhookRound: (() => void) | undefined;
  const heard = () => {
    status.heard();
  };

  const supervise = async (g: Grammy, handlers: ChannelHandlers, firstOutcome: () => void) => {
    const b = new g.Bot(botToken, options.apiRoot ? { client: { apiRoot: options.apiRoot } } : undefined);
    bot = b;
    b.api.config.use(async (prev, method, payload, signal) => {
      const result = await prev(method, payload, signal);
      if (method === 'getUpdates') heard();
      return result;
    });
    attachInbound(b, {
      handlers,
      log,
      describe,
      ...(options.botUsername ? { botUsername: options.botUsername } : {}),
      seen: () => {
        status.messageSeen();
      },
      fetchPhoto: (sizes) => fetchTelegramPhoto(sizes, { getFile: (id) => wrap(async () => (await getApi()).getFile(id)), fileUrl: (path) => `${options.apiRoot ?? 'https://api.telegram.org'}/file/bot${botToken}/${path}`, describe }),
    });
    b.catch((err) => log.warn(`telegram: update handling failed: ${describe(err.error)}`));
    let delay = initialMs;
    while (!stopping) {
      try {
        if (options.webhook) {
          await b.init();
          await b.api.setWebhook(options.webhook.url, { secret_token: options.webhook.secretToken, allowed_updates: ['message', 'callback_query'] });
          delay = initialMs;
          heard();
          status.set({ state: 'connected' });
          log.info(`telegram: webhook set for @${safeLabel(b.botInfo.username, 64)}; Telegram posts to the configured URL`);
          firstOutcome();
          if (!stopping && restartReason === undefined) await new Promise<void>((resolve) => (endWebhookRound = resolve));
          endWebhookRound = undefined;
        } else await b.start({
          timeout: options.pollTimeoutSeconds ?? 30,
          allowed_updates: ['message', 'callback_query'],
          onStart: (info) => {
            delay = initialMs;
            heard();
            status.set({ state: 'connected' });
            log.info(`telegram: polling as @${safeLabel(info.username, 64)}`);
            firstOutcome();
          },
        });
        if (stopping) break;
        // start() resolving without stop(): a restart asked for, or a dropped poll; go round again.
        status.set({ state: 'reconnecting', reason: restartReason ? `restarting: ${restartReason}` : 'polling ended unexpectedly' });
        if (restartReason) delay = initialMs;
        restartReason = undefined;
      } catch (err) {
        if (stopping) break;
        const code = err instanceof g.GrammyError ? err.error_code : undefined;
        if (code === 401) {
          status.set({ state: 'failed', reason: 'Telegram rejected the bot token (401 Unauthorized): check channels.telegram.botToken' });
          log.error(`telegram: ${status.reason}`);
          firstOutcome();
          return;
        }
        const why =
          code === 409
            ? 'another getUpdates consumer is polling this bot (409 Conflict)'
            : `polling failed: ${describe(err)}`;
        status.set({ state: 'reconnecting', reason: `${why}; retrying in ${Math.round(delay / 100) / 10} s` });
        log.warn(`telegram: ${status.reason}`);
        firstOutcome();
      }
      await backoff.sleep(delay);
      delay = Math.min(delay * 2, maxMs);
    }
  };

  const chatTarget = (chatId: string): number | string => (/^-?\d+$/.test(chatId) ? Number(chatId) : chatId);

  const channel: Channel = {
    name: 'telegram',
    textLimit: TELEGRAM_TEXT_LIMIT,
    supportsButtons: true,
    async start(handlers) {
      if (loop) throw new Error('the Telegram channel is already started');
      stopping = false;
      status.set({ state: 'starting' });
      const g = await load();
      await new Promise<void>((resolve) => {
        let resolved = false;
        const once = () => {
          if (!resolved) {
            resolved = true;
            resolve();
          }
        };
        loop = supervise(g, handlers, once)
          .catch((err: unknown) => {
            status.set({ state: 'failed', reason: `supervisor crashed: ${describe(err)}` });
            log.error(`telegram: ${status.reason}`);
          })
          .finally(once);
      });
    },
    async stop() {
      stopping = true;
      backoff.wake();
      endWebhookRound?.();
      try {
        if (bot?.isRunning()) await bot.stop();
      } catch (err) {
        log.debug(`telegram: confirming the update offset on stop failed: ${describe(err)}`);
      }
      await loop;
      loop = undefined;
      bot = undefined;
      status.set({ state: 'stopped' });
    },
    status: () => status.get(),
    // A webhook hears nothing while nobody writes: only polling can be judged deaf.
    ...(options.webhook ? {} : { deafAfterMs: options.deafAfterMs ?? ((options.pollTimeoutSeconds ?? 30) + 30) * 1000 }),
    async handleWebhook(delivery) {
      const expected = options.webhook?.secretToken;
      const given = delivery.headers['x-telegram-bot-api-secret-token'];
      if (!expected || typeof given !== 'string' || !sameSecret(given, expected)) {
        log.warn('telegram: refused a webhook delivery without the right secret token');
        return { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'missing or wrong X-Telegram-Bot-Api-Secret-Token' } } };
      }
      const update = delivery.body as { update_id?: unknown } | null;
      if (typeof update !== 'object' || update === null || !Number.isSafeInteger(update.update_id)) {
        return { status: 400, body: { error: { code: 'BAD_REQUEST', message: 'not a Telegram update' } } };
      }
      if (!bot || status.state !== 'connected') return { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'the Telegram channel is not running' } } };
      heard();
      try {
        await bot.handleUpdate(update as Parameters<Bot['handleUpdate']>[0]);
      } catch (err) {
        // Answered 200 anyway: a non-2xx makes Telegram redeliver a poison update for a day.
        log.warn(`telegram: a webhook update failed: ${describe(err)}`);
      }
      return { status: 200, body: {} };
    },
    async restart(reason) {
      if (options.webhook) {
        restartReason = reason;
        endWebhookRound?.();
        return;
      }
      if (!bot || stopping || !bot.isRunning()) return;
      restartReason = reason;
      status.set({ state: 'reconnecting', reason: `restarting: ${reason}` });
      // Not awaited: stop() confirms the offset with one more getUpdates, which may hang on the same
      // quiet connection; aborting the poll is enough for start() to return and the loop to poll anew.
      void bot.stop().catch((err: unknown) => log.debug(`telegram: confirming the offset during a restart failed: ${describe(err)}`));
    },
    async sendText(chatId, text, sendOptions) {
      if (text.trim() === '') throw new RangeError('a Telegram message cannot be empty');
      if (text.length > TELEGRAM_TEXT_LIMIT) throw new RangeError(`a Telegram message is at most ${TELEGRAM_TEXT_LIMIT} characters: chunk it first`);
      const buttons = sendOptions?.buttons ?? [];
      const extra = buttons.length > 0 ? { reply_markup: { inline_keyboard: [buttons.map((button) => ({ text: button.label, callback_data: button.data }))] } } : {};
      // No link preview: Telegram would fetch a URL the model wrote (and show a page it did not choose).
      const sent = await wrap(async () => (await getApi()).sendMessage(chatTarget(chatId), text, { ...extra, link_preview_options: { is_disabled: true } }));
      return { messageId: String(sent.message_id) };
    },
    async editText(chatId, messageId, text) {
      // An empty inline keyboard removes the buttons, so an answered approval cannot be pressed again.
      await wrap(async () => (await getApi()).editMessageText(chatTarget(chatId), Number(messageId), text, { reply_markup: { inline_keyboard: [] }, link_preview_options: { is_disabled: true } }));
    },
    async sendMedia(chatId, media: OutboundMedia) {
      const g = await load();
      const a = await getApi();
      const { caption, rest } = splitCaption(media.caption);
      const file = new g.InputFile(media.path);
      const extra = caption ? { caption } : {};
      const target = chatTarget(chatId);
      await wrap(async () => {
        if (media.mimeType.startsWith('image/')) await a.sendPhoto(target, file, extra);
        else if (media.mimeType.startsWith('video/')) await a.sendVideo(target, file, extra);
        else await a.sendDocument(target, file, extra);
      });
      for (const chunk of rest ? chunkText(rest, TELEGRAM_TEXT_LIMIT) : []) await channel.sendText(chatId, chunk);
    },
    async sendTyping(chatId) {
      await wrap(async () => (await getApi()).sendChatAction(chatTarget(chatId), 'typing'));
    },
    // A private chat's id is the user's id.
    directChatId: async (userId) => userId,
  };

  /**
   * One Bot API call. Flood control (429) is waited out as Telegram asks (retry_after), up to
   * MAX_FLOOD_RETRIES times and MAX_FLOOD_WAIT_S each, so a long chunked answer is delayed, not cut;
   * other errors are rethrown with the token redacted (grammY's messages do not carry it; belt and braces).
   */
  async function wrap<T>(fn: () => Promise<T>): Promise<T> {
    const g = await load();
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retryAfter = err instanceof g.GrammyError && err.error_code === 429 ? Number(err.parameters?.retry_after) : NaN;
        if (Number.isFinite(retryAfter) && retryAfter >= 0 && retryAfter <= MAX_FLOOD_WAIT_S && attempt < MAX_FLOOD_RETRIES && !stopping) {
          log.warn(`telegram: flood control (429): waiting ${retryAfter} s as Telegram asks, then retrying`);
          await sleep(retryAfter * 1000);
          continue;
        }
        throw new Error(`telegram: ${describe(err)}`, { cause: err instanceof Error ? redactError(err) : undefined });
      }
    }
  }
  function redactError(err: Error): Error {
    const copy = new Error(redact(err.message));
    copy.name = err.name;
    return copy;
  }

  return channel;
}

/** A caption cut to 1,024 characters at the last space (or hard), and what is left for a follow-up. */
export function splitCaption(caption: string | undefined): { caption?: string; rest?: string } {
  if (!caption || caption.trim() === '') return {};
  if (caption.length <= TELEGRAM_CAPTION_LIMIT) return { caption };
  const window = caption.slice(0, TELEGRAM_CAPTION_LIMIT);
  const space = window.search(/\s\S*$/);
  const cut = space > TELEGRAM_CAPTION_LIMIT / 2 ? space : TELEGRAM_CAPTION_LIMIT;
  const head = caption.slice(0, cut).trimEnd();
  const rest = caption.slice(cut).trimStart();
  return rest ? { caption: head, rest } : { caption: head };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
