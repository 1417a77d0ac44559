/**
 * The Discord channel: a discord.js Client (REST + Gateway), supervised. discord.js is imported only
 * inside start() (and this module only from discord-definition's create()), so a gateway without
 * Discord configured never loads it.
 *
 * - Intents: Guilds (guild and channel cache, needed to place guild messages), GuildMessages,
 *   DirectMessages, MessageContent (privileged: enabled in the Developer Portal). `Partials.Channel`
 *   because Discord sends no CHANNEL_CREATE for DMs: without it a DM from an uncached channel is
 *   dropped by discord.js before `messageCreate`.
 * - Inbound: DMs → chatKind 'dm'; guild messages only when they @mention the bot (or its managed role)
 *   or reply to it →
 *   'group', mentioned. Bots (this one included), webhooks, system messages (joins, pins, …) and
 *   messages with no text left after the bot's mention is removed are dropped here. The handler is
 *   not awaited (a slow agent turn must not stall other chats).
 * - Buttons: ActionRows of Buttons whose `custom_id` is the button's data (≤ 100 characters);
 *   a button interaction becomes an InboundAction. Discord wants an answer within 3 s: acknowledge(text)
 *   replies at once with an ephemeral message; a handler that has not acknowledged after
 *   `ackDeadlineMs` (2 s) gets a deferred update instead, and a later acknowledge becomes an ephemeral
 *   follow-up.
 * - Outbound: sendText → channel.send (≤ 2,000 characters, chunked by the caller), no pings
 *   (allowedMentions parses nothing: a model's "@everyone" stays text); editText replaces the text and
 *   removes the components; sendMedia → one attachment with the caption as content; sendTyping →
 *   channel.sendTyping(); directChatId → users.createDM(id).id.
 * - Supervision: login is retried with exponential backoff ('reconnecting'); a rejected token (401 on
 *   REST, close 4004 on the gateway) or a refused intent (4014) ends in 'failed' naming the config key.
 *   After login discord.js resumes dropped connections (1006, op 7) itself; its shard events drive the
 *   status. The token (and each of its dot-separated parts, which discord.js's "censored" debug line
 *   shows) is redacted from every string this module logs, throws or reports; errors are rethrown as
 *   fresh Errors so neither the URL (interaction tokens) nor the request body travels with them.
 */
import { basename } from 'node:path';
import type { ButtonInteraction, Client, Message, SendableChannels } from 'discord.js';
import type { Logger } from '../../log.js';
import type { Channel, ChannelButton, ChannelHandlers, InboundAction, InboundMessage, OutboundMedia } from '../channel.js';
import { chunkText } from '../chunk-text.js';
import { DEFAULT_DISCORD_API } from './discord-definition.js';
import { closeReason, errorText, fatalLoginReason, httpStatus, TOKEN_KEY } from './discord-failures.js';
import { escapeDiscordLinks } from './discord-format.js';
import { ChannelStatusKeeper, sdkNamespace, WakeableSleep } from '../supervision.js';

export const DISCORD_TEXT_LIMIT = 2000;
export const DISCORD_CUSTOM_ID_LIMIT = 100;
export const DISCORD_BUTTON_LABEL_LIMIT = 80;
const BUTTONS_PER_ROW = 5;
const MAX_ROWS = 5;
const SNOWFLAKE = /^\d{1,21}$/;

export interface DiscordChannelOptions {
  token: string;
  /** REST base without the version, e.g. https://discord.com/api (the default). */
  apiBase?: string;
  log: Logger;
  /** Login retry backoff: doubles from initialMs up to maxMs. Default 1 s → 60 s. */
  retry?: { initialMs?: number; maxMs?: number };
  /** A button press not acknowledged by then is deferred (Discord's limit is 3 s). Default 2,000 ms. */
  ackDeadlineMs?: number;
  /**
   * start() resolves by then even if the gateway has not sent READY (unreachable, silent): the login
   * goes on in the background and the status says so. A channel must never hold up the gateway's start.
   * Default 15 s.
   */
  startTimeoutMs?: number;
}

type DiscordJs = typeof import('discord.js');

export function createDiscordChannel(options: DiscordChannelOptions): Channel {
  const { token, log } = options;
  const initialMs = options.retry?.initialMs ?? 1000;
  const maxMs = options.retry?.maxMs ?? 60_000;
  const ackDeadlineMs = options.ackDeadlineMs ?? 2000;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const stopTimeoutMs = 3_000;
  const secrets = [token, ...token.split('.').filter((part) => part.length >= 6)].filter(Boolean).sort((a, b) => b.length - a.length);
  const redact = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('<redacted>'), text);
  const describe = (err: unknown) => redact(errorText(err));

  let discord: DiscordJs | undefined;
  const load = async (): Promise<DiscordJs> => (discord ??= sdkNamespace<DiscordJs>(await import('discord.js'), 'Client'));

  const status = new ChannelStatusKeeper(redact);
  const fail = (reason: string) => {
    status.set({ state: 'failed', reason });
    log.error(`discord: ${status.reason}`);
  };
  let client: Client | undefined;
  let stopping = false;
  let loop: Promise<void> | undefined;
  const backoff = new WakeableSleep();
  // A login waiting for READY does not end when its client is destroyed: stop() settles this instead.
  let stopped: { promise: Promise<void>; resolve: () => void } = deferred();

  const toInbound = (d: DiscordJs, message: Message, botId: string): InboundMessage | undefined => {
    const author = message.author;
    if (author.bot || author.id === botId || message.webhookId || message.system) return undefined;
    if (message.type !== d.MessageType.Default && message.type !== d.MessageType.Reply) return undefined;
    if (!SNOWFLAKE.test(author.id) || !SNOWFLAKE.test(message.channelId) || !SNOWFLAKE.test(message.id)) return undefined;
    const dm = !message.inGuild();
    // The bot's managed role counts too: Discord's autocomplete often offers it instead of the bot.
    const mentioned = message.mentions.users.has(botId) || message.mentions.repliedUser?.id === botId || message.mentions.roles.some((role) => role.tags?.botId === botId);
    if (!dm && !mentioned) return undefined;
    const botRoles = message.mentions.roles.filter((role) => role.tags?.botId === botId).map((role) => role.id);
    const text = stripBotMention(typeof message.content === 'string' ? message.content : '', botId, botRoles).trim();
    if (text === '') return undefined;
    const name = cleanName(message.member?.displayName ?? author.globalName ?? author.username);
    return {
      channel: 'discord',
      chatId: message.channelId,
      chatKind: dm ? 'dm' : 'group',
      senderId: author.id,
      ...(name ? { senderName: name } : {}),
      text,
      mentioned: !dm && mentioned,
      messageId: message.id,
    };
  };

  const toAction = (d: DiscordJs, interaction: ButtonInteraction): InboundAction | undefined => {
    const user = interaction.user;
    if (user.bot || !SNOWFLAKE.test(user.id) || !SNOWFLAKE.test(interaction.channelId)) return undefined;
    let acknowledged = false;
    let deferred: Promise<unknown> | undefined;
    const timer = setTimeout(() => {
      if (acknowledged) return;
      deferred = interaction.deferUpdate().catch((err: unknown) => log.debug(`discord: deferring a button press failed: ${describe(err)}`));
    }, ackDeadlineMs);
    timer.unref?.();
    const name = cleanName(user.globalName ?? user.username);
    return {
      channel: 'discord',
      chatId: interaction.channelId,
      senderId: user.id,
      ...(name ? { senderName: name } : {}),
      data: interaction.customId,
      ...(interaction.message?.id ? { messageId: interaction.message.id } : {}),
      acknowledge: async (text) => {
        if (acknowledged) return;
        acknowledged = true;
        clearTimeout(timer);
        const content = text.trim().slice(0, DISCORD_TEXT_LIMIT);
        try {
          if (deferred) {
            await deferred;
            if (content) await interaction.followUp({ content: escapeDiscordLinks(content), flags: d.MessageFlags.Ephemeral | d.MessageFlags.SuppressEmbeds, allowedMentions: { parse: [] } });
          } else if (content) {
            await interaction.reply({ content: escapeDiscordLinks(content), flags: d.MessageFlags.Ephemeral | d.MessageFlags.SuppressEmbeds, allowedMentions: { parse: [] } });
          } else {
            await interaction.deferUpdate();
          }
        } catch (err) {
          log.debug(`discord: answering a button press failed: ${describe(err)}`);
        }
      },
    };
  };

  const attach = (d: DiscordJs, c: Client, handlers: ChannelHandlers) => {
    // Every gateway dispatch counts as hearing from Discord; a zombie connection (no heartbeat ACK) is
    // discord.js's to notice: it reconnects, and ShardReconnecting shows it here.
    c.on(d.Events.Raw, () => {
      status.heard();
    });
    c.on(d.Events.MessageCreate, (message) => {
      const botId = c.user?.id;
      if (!botId) return;
      const inbound = toInbound(d, message, botId);
      if (!inbound) return;
      status.messageSeen();
      void handlers.onMessage(inbound).catch((err: unknown) => log.warn(`discord: message handler failed: ${describe(err)}`));
    });
    c.on(d.Events.InteractionCreate, (interaction) => {
      if (!interaction.isButton()) return;
      const action = toAction(d, interaction);
      if (!action) return;
      status.messageSeen();
      void handlers.onAction(action).catch((err: unknown) => log.warn(`discord: button handler failed: ${describe(err)}`));
    });
    c.on(d.Events.ShardReconnecting, () => {
      if (stopping || status.state === 'failed') return;
      status.set({ state: 'reconnecting', reason: 'the gateway connection dropped; resuming' });
      log.warn(`discord: ${status.reason}`);
    });
    const back = (how: string) => {
      if (stopping) return;
      if (status.state !== 'connected') log.info(`discord: gateway connection ${how}`);
      status.set({ state: 'connected' });
    };
    c.on(d.Events.ShardResume, () => back('resumed'));
    c.on(d.Events.ShardReady, () => back('ready'));
    c.on(d.Events.ShardDisconnect, (event) => {
      if (stopping) return;
      fail(closeReason(event.code));
    });
    c.on(d.Events.ShardError, (err) => log.warn(`discord: gateway error: ${describe(err)}`));
    c.on(d.Events.Error, (err) => log.warn(`discord: ${describe(err)}`));
    // discord.js's debug stream is chatty and once names a "censored" token: keep only what is safe.
    c.on(d.Events.Debug, (line) => {
      if (!/token/i.test(line) && !/Heartbeat/i.test(line)) log.debug(`discord: ${redact(line).slice(0, 300)}`);
    });
  };

  const supervise = async (d: DiscordJs, handlers: ChannelHandlers, firstOutcome: () => void) => {
    let delay = initialMs;
    while (!stopping) {
      const c = new d.Client({
        intents: [d.GatewayIntentBits.Guilds, d.GatewayIntentBits.GuildMessages, d.GatewayIntentBits.DirectMessages, d.GatewayIntentBits.MessageContent],
        partials: [d.Partials.Channel],
        rest: { api: options.apiBase ?? DEFAULT_DISCORD_API },
        allowedMentions: { parse: [], repliedUser: false },
        makeCache: d.Options.cacheWithLimits({ ...d.Options.DefaultMakeCacheSettings, MessageManager: 25 }),
      });
      attach(d, c, handlers);
      client = c;
      try {
        const login = c.login(token);
        login.catch(() => undefined);
        await Promise.race([login, stopped.promise]);
        if (stopping) break;
        status.set({ state: 'connected' });
        log.info(`discord: connected as ${cleanName(c.user?.username ?? '?')} (${c.user?.id ?? '?'})`);
        firstOutcome();
        return;
      } catch (err) {
        client = undefined;
        await c.destroy().catch(() => undefined);
        if (stopping) break;
        const fatal = fatalLoginReason(d, err);
        if (fatal) {
          fail(fatal);
          firstOutcome();
          return;
        }
        status.set({ state: 'reconnecting', reason: `login failed: ${describe(err)}; retrying in ${Math.round(delay / 100) / 10} s` });
        log.warn(`discord: ${status.reason}`);
        firstOutcome();
      }
      await backoff.sleep(delay);
      delay = Math.min(delay * 2, maxMs);
    }
  };

  const sendable = async (chatId: string): Promise<SendableChannels> => {
    if (!SNOWFLAKE.test(chatId)) throw new RangeError('discord: a chat id is a numeric channel id');
    const c = client;
    if (!c) throw new Error(`discord: not connected (${status.state}${status.reason ? `: ${status.reason}` : ''})`);
    const found = c.channels.cache.get(chatId) ?? (await wrap(() => c.channels.fetch(chatId)));
    if (!found || !found.isSendable()) throw new Error('discord: that channel cannot receive messages');
    return found;
  };

  const channel: Channel = {
    name: 'discord',
    textLimit: DISCORD_TEXT_LIMIT,
    supportsButtons: true,
    // Discord reads *, _, ~~, ||spoilers||, `code` and [masked](links) in message text.
    rendersMarkdown: true,
    async start(handlers) {
      if (loop) throw new Error('the Discord channel is already started');
      stopping = false;
      stopped = deferred();
      status.set({ state: 'starting' });
      const d = await load();
      await new Promise<void>((resolve) => {
        let resolved = false;
        const once = () => {
          if (!resolved) {
            resolved = true;
            resolve();
          }
        };
        const timer = setTimeout(() => {
          if (status.state === 'starting') {
            status.set({ state: 'reconnecting', reason: 'still waiting for the Discord gateway to accept the connection' });
            log.warn(`discord: ${status.reason}`);
          }
          once();
        }, startTimeoutMs);
        timer.unref?.();
        loop = supervise(d, handlers, () => {
          clearTimeout(timer);
          once();
        })
          .catch((err: unknown) => fail(`supervisor crashed: ${describe(err)}`))
          .finally(() => {
            clearTimeout(timer);
            once();
          });
      });
    },
    async stop() {
      stopping = true;
      stopped.resolve();
      backoff.wake();
      const c = client;
      client = undefined;
      // Bounded: @discordjs/ws 1.2.3 never settles destroy() when it lands while a shard waits for HELLO
      // (the aborted wait starts a reconnect that drops the close handshake's callback).
      if (c) {
        const destroyed = c.destroy().then(
          () => true,
          (err: unknown) => (log.debug(`discord: destroying the client failed: ${describe(err)}`), true),
        );
        if (!(await Promise.race([destroyed, sleep(stopTimeoutMs).then(() => false)]))) log.warn('discord: the client did not close its gateway connection in time; stopped anyway');
      }
      await loop;
      loop = undefined;
      status.set({ state: 'stopped' });
    },
    status: () => status.get(),
    async sendText(chatId, text, sendOptions) {
      if (text.trim() === '') throw new RangeError('a Discord message cannot be empty');
      if (text.length > DISCORD_TEXT_LIMIT) throw new RangeError(`a Discord message is at most ${DISCORD_TEXT_LIMIT} characters: chunk it first`);
      const d = await load();
      const components = buttonRows(d, sendOptions?.buttons ?? []);
      const target = await sendable(chatId);
      const sent = await wrap(async (): Promise<{ id: string }> => target.send({ content: escapeDiscordLinks(text), flags: d.MessageFlags.SuppressEmbeds, ...(components.length > 0 ? { components } : {}) }));
      return { messageId: sent.id };
    },
    async editText(chatId, messageId, text) {
      if (!SNOWFLAKE.test(messageId)) throw new RangeError('discord: a message id is numeric');
      const target = await sendable(chatId);
      const d = await load();
      await wrap(async (): Promise<unknown> => target.messages.edit(messageId, { content: escapeDiscordLinks(text).slice(0, DISCORD_TEXT_LIMIT), components: [], flags: d.MessageFlags.SuppressEmbeds }));
    },
    async sendMedia(chatId, media: OutboundMedia) {
      const d = await load();
      const target = await sendable(chatId);
      const caption = media.caption?.trim() ?? '';
      const chunks = caption ? chunkText(caption, DISCORD_TEXT_LIMIT) : [];
      const file = new d.AttachmentBuilder(media.path, { name: basename(media.path) });
      const flags = d.MessageFlags.SuppressEmbeds;
      await wrap(async (): Promise<unknown> => target.send({ ...(chunks[0] ? { content: escapeDiscordLinks(chunks[0]) } : {}), files: [file], flags }));
      for (const rest of chunks.slice(1)) await wrap(async (): Promise<unknown> => target.send({ content: escapeDiscordLinks(rest), flags }));
    },
    async sendTyping(chatId) {
      const target = await sendable(chatId);
      await wrap(() => target.sendTyping());
    },
    async directChatId(userId) {
      if (!SNOWFLAKE.test(userId)) throw new RangeError('discord: a user id is a numeric snowflake');
      const c = client;
      if (!c) throw new Error(`discord: not connected (${status.state})`);
      const dm = await wrap(() => c.users.createDM(userId));
      return dm.id;
    },
  };

  /** API errors rethrown as fresh Errors: redacted, without the request URL or body; a 401 marks the channel failed. */
  async function wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (httpStatus(err) === 401 && !stopping) fail(`Discord rejected the bot token (401 Unauthorized): check ${TOKEN_KEY}`);
      const copy = new Error(`discord: ${describe(err)}`);
      throw copy;
    }
  }

  return channel;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Buttons as ActionRows of up to 5, at most 5 rows; data must fit Discord's 100-character custom_id. */
function buttonRows(d: DiscordJs, buttons: readonly ChannelButton[]) {
  if (buttons.length > BUTTONS_PER_ROW * MAX_ROWS) throw new RangeError(`a Discord message holds at most ${BUTTONS_PER_ROW * MAX_ROWS} buttons`);
  const rows = [];
  for (let i = 0; i < buttons.length; i += BUTTONS_PER_ROW) {
    const row = new d.ActionRowBuilder<InstanceType<DiscordJs['ButtonBuilder']>>();
    for (const [j, button] of buttons.slice(i, i + BUTTONS_PER_ROW).entries()) {
      if (button.data.length === 0 || button.data.length > DISCORD_CUSTOM_ID_LIMIT) throw new RangeError(`a Discord button's data is 1 to ${DISCORD_CUSTOM_ID_LIMIT} characters`);
      const label = cleanName(button.label, DISCORD_BUTTON_LABEL_LIMIT) || '…';
      row.addComponents(new d.ButtonBuilder().setCustomId(button.data).setLabel(label).setStyle(i + j === 0 ? d.ButtonStyle.Primary : d.ButtonStyle.Secondary));
    }
    rows.push(row);
  }
  return rows;
}

/** The bot's own mention tokens (`<@id>`, `<@!id>`) removed, so the agent sees only what was said. */
export function stripBotMention(text: string, botId: string, roleIds: readonly string[] = []): string {
  const tokens = [`<@${botId}>`, `<@!${botId}>`, ...roleIds.map((id) => `<@&${id}>`)];
  return tokens.reduce((out, token) => out.split(token).join(''), text).replace(/[ \t]{2,}/g, ' ');
}

/** A display name without control, format or bidi characters, capped. */
export function cleanName(name: string | null | undefined, max = 64): string {
  if (!name) return '';
  const clean = name.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
