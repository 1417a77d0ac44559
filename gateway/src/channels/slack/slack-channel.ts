/**
 * The Slack channel (issue 10): a Bolt App on Socket Mode (default) or the HTTP Events API, supervised.
 * Bolt is imported only inside start() / the first send, so a gateway without Slack never loads it.
 *
 * - Inbound: `message` events in direct messages (channel_type im → 'dm'), and `app_mention` events or
 *   channel messages containing `<@BOTID>` (→ 'group', mentioned); other channel messages are 'group'
 *   unmentioned (the access policy drops them). Bot messages, edits and every subtype are ignored. One
 *   Slack message arriving as both `message` and `app_mention` (or redelivered) is handed on once.
 *   See slack-inbound.ts for the field checks.
 * - Buttons: sendText with buttons posts Block Kit (plain_text sections + an actions block; each
 *   button's `value` is its data). A `block_actions` press is ack()ed at once (Slack wants that within
 *   3 s) and becomes an InboundAction. acknowledge(text) posts an ephemeral message (chat.postEphemeral)
 *   seen only by the presser: Slack has no toast, and this is the nearest thing. An empty text posts
 *   nothing.
 * - sendText → chat.postMessage (at most textLimit 4,000 characters, the caller chunks), returning the
 *   message `ts` as messageId; editText → chat.update with `blocks: []`, which removes the buttons.
 *   Text is escaped (&, <, >) so the agent can never ping `<!channel>` or forge a link.
 * - sendMedia → files.uploadV2 (files.getUploadURLExternal → POST to upload_url →
 *   files.completeUploadExternal with channel_id and the caption as initial_comment).
 * - sendTyping does nothing: Slack has no typing indicator for bot users (only a reaction, which needs
 *   the message being answered, or assistant-thread status, which needs an assistant thread).
 * - directChatId → conversations.open(users) → the DM's channel id (remembered).
 * - Supervision: auth.test at start; invalid_auth / not_authed / revoked → 'failed' naming
 *   channels.slack.botToken (appToken for apps.connections.open). Socket Mode runs with the SDK's own
 *   reconnect off (a failed reconnect there is an unhandled rejection): this module reconnects with
 *   exponential backoff on `disconnect` from Slack, a closed socket or a hello that never comes, and
 *   status goes 'reconnecting' → 'connected'. Tokens and the signing secret are redacted from every
 *   string this module logs, reports or throws; Bolt's own debug output (which holds payloads and
 *   message text) is dropped.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import { safeLabel } from '@tether/protocol';
import type { Logger } from '../../log.js';
import type { Channel, ChannelHandlers, InboundMessage, OutboundMedia } from '../channel.js';
import { buttonBlocks, textBlocks, escapeSlackText } from './slack-format.js';
import { boltLoggerFor, errorText, inertReceiver, platformError, seconds, withTimeout } from './slack-sdk-glue.js';
import { buttonPressFromBody, messageFromEvent, SLACK_CONVERSATION_ID, SLACK_USER_ID } from './slack-inbound.js';
import { ChannelStatusKeeper, sdkNamespace, WakeableSleep } from '../supervision.js';

/** Slack recommends at most 4,000 characters per message (it truncates above 40,000). */
export const SLACK_TEXT_LIMIT = 4000;
const CAPTION_LIMIT = 3000;
/** Slack message keys remembered for de-duplication (message + app_mention, redeliveries). */
const SEEN_LIMIT = 2000;
const AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'user_removed_from_team', 'team_disabled']);

export interface SlackChannelOptions {
  botToken: string;
  appToken?: string;
  signingSecret?: string;
  mode?: 'socket' | 'http';
  /** Web API base ending in "/"; default https://slack.com/api/. Also reaches apps.connections.open. */
  apiUrl?: string;
  http?: { port: number; path: string; host: string };
  log: Logger;
  /** Reconnect backoff: doubles from initialMs up to maxMs. Default 1 s → 30 s. */
  retry?: { initialMs?: number; maxMs?: number };
  /** How long a new Socket Mode connection may take to say hello before it is dropped; default 30 s. */
  helloTimeoutMs?: number;
  /** Web API request timeout; default 30 s. */
  requestTimeoutMs?: number;
  /** start() returns after the first outcome (connected, failed, retrying) or this long; default 10 s. */
  startWaitMs?: number;
  /** stop() waits this long for a Web API call in flight; default 5 s. */
  stopWaitMs?: number;
}

export interface SlackChannel extends Channel {
  /** Where the HTTP receiver listens (mode "http", once started). */
  httpAddress(): { host: string; port: number } | undefined;
}

type Bolt = typeof import('@slack/bolt');
type Json = Record<string, unknown>;

export function createSlackChannel(options: SlackChannelOptions): SlackChannel {
  const { botToken, log } = options;
  const mode = options.mode ?? 'socket';
  const initialMs = options.retry?.initialMs ?? 1000;
  const maxMs = options.retry?.maxMs ?? 30_000;
  const secrets = [botToken, options.appToken, options.signingSecret].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const redact = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('<redacted>'), text).replace(/\b(xox[abpr]|xapp)-[A-Za-z0-9-]+/g, '$1-<redacted>');
  const describe = (err: unknown) => safeLabel(redact(errorText(err)), 300);

  let bolt: Bolt | undefined;
  const load = async (): Promise<Bolt> => (bolt ??= sdkNamespace<Bolt>(await import('@slack/bolt'), 'App'));
  const boltLogger = boltLoggerFor(log, (text) => safeLabel(redact(text), 300));
  const clientOptions = (retries: number) => ({
    slackApiUrl: options.apiUrl ?? 'https://slack.com/api/',
    logger: boltLogger,
    timeout: options.requestTimeoutMs ?? 30_000,
    retryConfig: { retries, factor: 2, minTimeout: 500, maxTimeout: 5_000 },
  });

  let app: App | undefined;
  const getApp = async (): Promise<App> => {
    if (app) return app;
    const b = await load();
    // Sends before start() (or without it) get their own App with no receiver listening.
    return (app = new b.App({ token: botToken, logger: boltLogger, clientOptions: clientOptions(2), deferInitialization: true, receiver: inertReceiver() }));
  };

  const status = new ChannelStatusKeeper(redact);
  let socketReceiver: SocketModeReceiver | undefined;
  let httpReceiver: HTTPReceiver | undefined;
  let httpAddress: { host: string; port: number } | undefined;
  let stopping = false;
  let loop: Promise<void> | undefined;
  const backoff = new WakeableSleep();
  let botUserId: string | undefined;
  const seen = new Set<string>();
  const directChats = new Map<string, string>();

  const firstTime = (key: string) => {
    if (seen.has(key)) return false;
    if (seen.size >= SEEN_LIMIT) seen.delete(seen.values().next().value as string);
    seen.add(key);
    return true;
  };

  const register = (a: App, handlers: ChannelHandlers) => {
    const onEvent = async ({ event, context }: { event: unknown; context: { botUserId?: string } }) => {
      const inbound = messageFromEvent(event, context.botUserId ?? botUserId);
      if ('skip' in inbound) {
        log.debug(`slack: skipped an event (${inbound.skip})`);
        return;
      }
      if (!firstTime(`${inbound.chatId}:${inbound.messageId}`)) return;
      status.messageSeen();
      deliver(handlers, inbound);
    };
    a.event('message', onEvent as never);
    a.event('app_mention', onEvent as never);
    a.action({ type: 'block_actions' }, (async ({ ack, body }: { ack: () => Promise<void>; body: unknown }) => {
      await ack();
      const press = buttonPressFromBody(body);
      if (!press) {
        log.debug('slack: ignored a block action that is not one of our buttons');
        return;
      }
      status.messageSeen();
      void handlers
        .onAction({
          channel: 'slack',
          ...press,
          acknowledge: async (text) => {
            if (text.trim() === '') return;
            try {
              await a.client.chat.postEphemeral({ channel: press.chatId, user: press.senderId, text: escapeSlackText(text.slice(0, 500)) });
            } catch (err) {
              log.debug(`slack: answering a button press failed: ${describe(err)}`);
            }
          },
        })
        .catch((err: unknown) => log.warn(`slack: button handler failed: ${describe(err)}`));
    }) as never);
    a.error(async (err) => log.warn(`slack: handling an event failed: ${describe(err)}`));
  };

  const deliver = (handlers: ChannelHandlers, inbound: InboundMessage) => {
    // Not awaited: a slow agent turn must not hold up every other chat.
    void handlers.onMessage(inbound).catch((err: unknown) => log.warn(`slack: message handler failed: ${describe(err)}`));
  };

  /** auth.test until it answers: false when the token is refused (status is then 'failed'). */
  const authenticate = async (a: App, firstOutcome: () => void): Promise<boolean> => {
    let delay = initialMs;
    while (!stopping) {
      try {
        await a.init();
        const auth = await a.client.auth.test();
        botUserId = typeof auth.user_id === 'string' && SLACK_USER_ID.test(auth.user_id) ? auth.user_id : undefined;
        log.info(`slack: authenticated as ${safeLabel(String(auth.user ?? '?'), 64)} (${safeLabel(botUserId, 32)}) in ${safeLabel(String(auth.team ?? '?'), 64)}`);
        return true;
      } catch (err) {
        if (stopping) return false;
        if (AUTH_ERRORS.has(platformError(err) ?? '')) {
          status.set({ state: 'failed', reason: `Slack refused the bot token (${platformError(err)}): check channels.slack.botToken` });
          log.error(`slack: ${status.reason}`);
          return false;
        }
        status.set({ state: 'reconnecting', reason: `auth.test failed: ${describe(err)}; retrying in ${seconds(delay)} s` });
        log.warn(`slack: ${status.reason}`);
        // The gateway does not wait for Slack to come back.
        firstOutcome();
        await backoff.sleep(delay);
        delay = Math.min(delay * 2, maxMs);
      }
    }
    return false;
  };

  const superviseSocket = async (receiver: SocketModeReceiver, firstOutcome: () => void) => {
    const client = receiver.client;
    // Any frame from Slack counts as hearing from it; a connection gone quiet is the SDK's to notice
    // (its server-ping and pong timeouts close it, and this loop reconnects).
    client.on('ws_message', () => {
      status.heard();
    });
    let delay = initialMs;
    while (!stopping) {
      let onDrop: () => void = () => undefined;
      const dropped = new Promise<void>((resolve) => (onDrop = resolve));
      client.once('disconnected', onDrop);
      let connected = false;
      try {
        await withTimeout(client.start(), options.helloTimeoutMs ?? 30_000, 'Slack did not say hello on the Socket Mode connection');
        connected = true;
        delay = initialMs;
        status.heard();
        status.set({ state: 'connected' });
        log.info('slack: Socket Mode connected');
        firstOutcome();
        await dropped;
        if (stopping) break;
        status.set({ state: 'reconnecting', reason: `the Socket Mode connection closed; reconnecting in ${seconds(delay)} s` });
        log.warn(`slack: ${status.reason}`);
      } catch (err) {
        if (stopping) break;
        const code = platformError(err);
        if (AUTH_ERRORS.has(code ?? '')) {
          status.set({ state: 'failed', reason: `Slack refused the app-level token (${code}): check channels.slack.appToken (xapp-… with connections:write)` });
          log.error(`slack: ${status.reason}`);
          firstOutcome();
          return;
        }
        if (!connected) await client.disconnect().catch(() => undefined);
        status.set({ state: 'reconnecting', reason: `Socket Mode connection failed: ${describe(err)}; retrying in ${seconds(delay)} s` });
        log.warn(`slack: ${status.reason}`);
        firstOutcome();
      } finally {
        client.off('disconnected', onDrop);
      }
      await backoff.sleep(delay);
      delay = Math.min(delay * 2, maxMs);
    }
  };

  const startSocket = async (b: Bolt, handlers: ChannelHandlers, firstOutcome: () => void) => {
    if (!options.appToken) {
      status.set({ state: 'failed', reason: 'Socket Mode needs channels.slack.appToken' });
      return firstOutcome();
    }
    const receiver = new b.SocketModeReceiver({
      appToken: options.appToken,
      logger: boltLogger,
      autoReconnectEnabled: false,
      // apps.connections.open goes to the same Web API base; this module does the retrying.
      installerOptions: { clientOptions: clientOptions(0) },
    });
    socketReceiver = receiver;
    const a = new b.App({ token: botToken, receiver, logger: boltLogger, clientOptions: clientOptions(2), deferInitialization: true });
    app = a;
    register(a, handlers);
    if (!(await authenticate(a, firstOutcome))) return firstOutcome();
    await superviseSocket(receiver, firstOutcome);
  };

  const startHttp = async (b: Bolt, handlers: ChannelHandlers, firstOutcome: () => void) => {
    const http = options.http ?? { port: 3000, path: '/slack/events', host: '127.0.0.1' };
    if (!options.signingSecret) {
      status.set({ state: 'failed', reason: 'mode "http" needs channels.slack.signingSecret' });
      return firstOutcome();
    }
    const receiver = new b.HTTPReceiver({ signingSecret: options.signingSecret, endpoints: http.path, logger: boltLogger, port: http.port });
    httpReceiver = receiver;
    const a = new b.App({ token: botToken, receiver, logger: boltLogger, clientOptions: clientOptions(2), deferInitialization: true });
    app = a;
    register(a, handlers);
    if (!(await authenticate(a, firstOutcome))) return firstOutcome();
    try {
      const server = (await receiver.start({ port: http.port, host: http.host })) as import('node:http').Server;
      const address = server.address();
      httpAddress = typeof address === 'object' && address ? { host: address.address, port: address.port } : undefined;
      status.set({ state: 'connected' });
      log.info(`slack: Events API receiver on http://${http.host}:${httpAddress?.port ?? http.port}${http.path}`);
    } catch (err) {
      status.set({ state: 'failed', reason: `the Events API receiver could not listen on ${http.host}:${http.port} (${describe(err)}): check channels.slack.http` });
      log.error(`slack: ${status.reason}`);
    }
    firstOutcome();
  };

  const channel: SlackChannel = {
    name: 'slack',
    textLimit: SLACK_TEXT_LIMIT,
    supportsButtons: true,
    httpAddress: () => httpAddress,
    async start(handlers) {
      if (loop) throw new Error('the Slack channel is already started');
      stopping = false;
      status.set({ state: 'starting' });
      const b = await load();
      await new Promise<void>((resolve) => {
        let resolved = false;
        const once = () => {
          clearTimeout(deadline);
          if (!resolved) {
            resolved = true;
            resolve();
          }
        };
        // A Slack that accepts the connection but never answers must not hold up the gateway's start.
        const deadline = setTimeout(once, options.startWaitMs ?? 10_000);
        loop = (mode === 'http' ? startHttp(b, handlers, once) : startSocket(b, handlers, once))
          .catch((err: unknown) => {
            status.set({ state: 'failed', reason: `supervisor crashed: ${describe(err)}` });
            log.error(`slack: ${status.reason}`);
          })
          .finally(once);
      });
    },
    async stop() {
      stopping = true;
      backoff.wake();
      try {
        await socketReceiver?.client.disconnect();
        if (httpReceiver && httpAddress) await httpReceiver.stop();
      } catch (err) {
        log.debug(`slack: stopping: ${describe(err)}`);
      }
      // A Web API call in flight ends by its own timeout; the gateway's shutdown does not wait for it.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.stopWaitMs ?? 5_000)))]);
      clearTimeout(timer);
      loop = undefined;
      socketReceiver = httpReceiver = undefined;
      httpAddress = undefined;
      app = undefined;
      status.set({ state: 'stopped' });
    },
    status: () => status.get(),
    async sendText(chatId, text, sendOptions) {
      checkConversation(chatId);
      if (text.trim() === '') throw new RangeError('a Slack message cannot be empty');
      if (text.length > SLACK_TEXT_LIMIT) throw new RangeError(`a Slack message is at most ${SLACK_TEXT_LIMIT} characters: chunk it first`);
      const buttons = sendOptions?.buttons ?? [];
      const sent = await call('chat.postMessage', async (a) =>
        a.client.chat.postMessage({
          channel: chatId,
          text: escapeSlackText(text),
          unfurl_links: false,
          unfurl_media: false,
          ...(buttons.length > 0 ? { blocks: buttonBlocks(text, buttons) as never } : {}),
        }),
      );
      if (typeof sent.ts !== 'string') throw new Error('slack: chat.postMessage answered without a ts');
      return { messageId: sent.ts };
    },
    async editText(chatId, messageId, text) {
      checkConversation(chatId);
      // Plain-text blocks without the actions block: the buttons are gone, and the edited approval is
      // still read literally (the fallback `text` alone would be rendered as mrkdwn).
      await call('chat.update', async (a) => a.client.chat.update({ channel: chatId, ts: messageId, text: escapeSlackText(text), blocks: textBlocks(text) as never }));
    },
    async sendMedia(chatId, media: OutboundMedia) {
      checkConversation(chatId);
      const data = await readFile(media.path);
      const caption = media.caption?.trim() ? escapeSlackText(media.caption.slice(0, CAPTION_LIMIT)) : undefined;
      const filename = basename(media.path);
      await call('files.uploadV2', async (a) =>
        a.client.filesUploadV2({ channel_id: chatId, file: data, filename, title: filename, ...(caption ? { initial_comment: caption } : {}) }),
      );
    },
    // Slack has no typing indicator for bots; see the header.
    async sendTyping() {},
    async directChatId(userId) {
      if (!SLACK_USER_ID.test(userId)) throw new RangeError('slack: a direct chat needs a member id (U… or W…)');
      const known = directChats.get(userId);
      if (known) return known;
      const opened = await call('conversations.open', async (a) => a.client.conversations.open({ users: userId }));
      const id = (opened.channel as Json | undefined)?.id;
      if (typeof id !== 'string' || !SLACK_CONVERSATION_ID.test(id)) throw new Error('slack: conversations.open answered without a channel id');
      directChats.set(userId, id);
      return id;
    },
  };

  /** A Web API call whose errors carry the Slack error code and never a token. */
  async function call<T>(method: string, fn: (a: App) => Promise<T>): Promise<T> {
    const a = await getApp();
    try {
      return await fn(a);
    } catch (err) {
      const code = platformError(err);
      const error = new Error(`slack: ${method} failed: ${code ?? describe(err)}`);
      (error as Error & { code?: string }).code = code;
      throw error;
    }
  }

  return channel;
}

function checkConversation(chatId: string): void {
  if (!SLACK_CONVERSATION_ID.test(chatId)) throw new RangeError('slack: not a conversation id (C…, D… or G…)');
}

