/**
 * A local fake of Discord for one bot token: the REST API over real HTTP and the Gateway over a real
 * WebSocket, both on 127.0.0.1, in Discord's wire format (docs: chat-channels-and-control-ui.md §2.3,
 * §3). discord.js is pointed at it with `new Client({ rest: { api: fake.apiBase } })`; `/gateway/bot`
 * returns `ws://127.0.0.1:P`, so the shard connects here too. JSON encoding only, no zlib.
 *
 * REST (`/api/v10/...`, `Authorization: Bot <token>`, anything else gets Discord's 401 body):
 * - `GET /gateway/bot`, `GET /users/@me`.
 * - `POST /channels/:id/messages`, JSON or multipart (`payload_json` + `files[n]`). Refuses content over
 *   2,000 characters and over-long button ids/labels with the real 50035 "Invalid Form Body" body, and
 *   an empty message with 50006; an unknown channel gets 10003.
 * - `PATCH /channels/:id/messages/:mid` (10008 for an unknown message), `POST /channels/:id/typing`
 *   (a bare 204: a JSON content-type there breaks @discordjs/rest), `POST /users/@me/channels` (a DM).
 * - `POST /interactions/:id/:token/callback` (10062 unknown, 40060 already acknowledged) and
 *   `POST /webhooks/:app/:token` (an interaction follow-up).
 *
 * Gateway: HELLO → IDENTIFY (token checked: close 4004; a Message Content intent the app was not granted:
 * 4014) → READY with session_id and resume_gateway_url, then GUILD_CREATE for each guild; heartbeats
 * ACKed; RESUME replays what the client missed and sends RESUMED. `dropConnection()` cuts the TCP
 * connection (the client sees 1006), `requestReconnect()` sends op 7. Dispatches sent while no session
 * is connected are kept and replayed on RESUME, as Discord does.
 *
 * Every REST call is recorded in `calls`. Responses carry `connection: close` so an idle keep-alive
 * socket never races a later request.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseMultipart, readBody } from './fake-telegram.js';

export const DISCORD_TEXT_LIMIT = 2000;
/** discord-api-types GatewayIntentBits.MessageContent (privileged). */
const MESSAGE_CONTENT_INTENT = 1 << 15;

export interface FakeDiscordFile {
  field: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export interface FakeDiscordCall {
  method: string;
  /** The path after `/api/v10`, e.g. `/channels/123/messages`. */
  path: string;
  /** The path with ids replaced: `/channels/:id/messages`. */
  route: string;
  body: Record<string, unknown>;
  files: FakeDiscordFile[];
  /** Whether the Authorization header carried the right bot token. */
  authorised: boolean;
}

export interface FakeDiscordUser {
  id: string;
  username: string;
  global_name?: string | null;
  discriminator: string;
  bot?: boolean;
}

export interface FakeDiscordMessage {
  id: string;
  channel_id: string;
  content: string;
  components: unknown[];
  attachments: unknown[];
  author: FakeDiscordUser;
}

export interface DispatchMessageOptions {
  channelId: string;
  /** Set for a guild channel (must be one of the fake's guilds); absent for a DM. */
  guildId?: string;
  authorId: string;
  username?: string;
  globalName?: string;
  bot?: boolean;
  content: string;
  /** User ids the message mentions (the bot's id for an @mention of the bot). */
  mentions?: string[];
  /** Role ids the message mentions (`mention_roles`). */
  mentionRoles?: string[];
  /** The message replies to one by this user id. */
  replyToAuthorId?: string;
  /** Message type (0 default, 19 reply, 7 a member-join system message, …). */
  type?: number;
  /** Leave `channel_type` out (discord.js then cannot place a DM). */
  omitChannelType?: boolean;
  /** Extra raw fields merged into the payload (hostile tests). */
  extra?: Record<string, unknown>;
}

export interface DispatchButtonOptions {
  channelId: string;
  guildId?: string;
  userId: string;
  username?: string;
  customId: string;
  /** The bot message the button was under; default the last message posted in that channel. */
  messageId?: string;
}

export interface FakeDiscordGuild {
  id: string;
  name?: string;
  channels: { id: string; name?: string }[];
  /** The bot's managed role in this guild (Discord creates one per bot; people often mention it instead of the bot). */
  botRoleId?: string;
}

export interface FakeDiscordOptions {
  token: string;
  botId?: string;
  botUsername?: string;
  guilds?: FakeDiscordGuild[];
  /** false: the app was not granted the privileged Message Content intent (IDENTIFY with it → 4014). */
  messageContentIntent?: boolean;
  heartbeatIntervalMs?: number;
  /** The gateway accepts sockets and never says HELLO (a stalled gateway). */
  silentGateway?: boolean;
  /** REST accepts the token but the gateway refuses it (close 4004), as after a reset mid-flight. */
  gatewayRejectsToken?: boolean;
}

export interface FakeInteractionResponse {
  interactionId: string;
  type: number;
  data?: Record<string, unknown>;
}

export interface FakeDiscord {
  readonly apiBase: string;
  readonly gatewayUrl: string;
  readonly token: string;
  readonly bot: FakeDiscordUser;
  readonly calls: FakeDiscordCall[];
  readonly messages: Map<string, FakeDiscordMessage>;
  readonly interactionResponses: FakeInteractionResponse[];
  /** IDENTIFY and RESUME payloads received, in order (`op` 2 or 6). */
  readonly gatewayLog: { op: number; d: Record<string, unknown> }[];
  connections(): number;
  dispatchMessage(options: DispatchMessageOptions): string;
  dispatchButton(options: DispatchButtonOptions): string;
  /** Sends any dispatch (hostile tests). */
  dispatchRaw(t: string, d: unknown): void;
  /** Destroys the TCP connection without a close frame: the client sees 1006 and resumes. */
  dropConnection(): void;
  /** Sends op 7 RECONNECT. */
  requestReconnect(): void;
  /** Sends op 9 INVALID_SESSION (not resumable) and forgets the session: the client must IDENTIFY again. */
  invalidateSession(): void;
  /** The next `count` REST calls get Discord's 429 with `retry_after` (seconds). */
  rateLimitNext(count?: number, retryAfterSeconds?: number): void;
  /** Closes the gateway socket with a code (4004, 4014, …). */
  closeGateway(code: number, reason?: string): void;
  /** The DM channel id `POST /users/@me/channels` gives for a user. */
  dmChannelFor(userId: string): string;
  waitForCall(route: string, match?: (call: FakeDiscordCall) => boolean, timeoutMs?: number): Promise<FakeDiscordCall>;
  waitForGateway(op: number, count?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const errors = {
  unauthorized: { message: '401: Unauthorized', code: 0 },
  empty: { message: 'Cannot send an empty message', code: 50006 },
  unknownChannel: { message: 'Unknown Channel', code: 10003 },
  unknownMessage: { message: 'Unknown Message', code: 10008 },
  unknownInteraction: { message: 'Unknown interaction', code: 10062 },
  acknowledged: { message: 'Interaction has already been acknowledged.', code: 40060 },
  notFound: { message: '404: Not Found', code: 0 },
};

function formError(path: string[], code: string, message: string) {
  let errorsTree: Record<string, unknown> = { _errors: [{ code, message }] };
  for (const key of [...path].reverse()) errorsTree = { [key]: errorsTree };
  return { message: 'Invalid Form Body', code: 50035, errors: errorsTree };
}

interface Session {
  id: string;
  seq: number;
  /** Every dispatch of this session with its sequence number, for RESUME. */
  sent: { s: number; t: string; d: unknown }[];
  socket?: WebSocket;
}

export async function startFakeDiscord(options: FakeDiscordOptions): Promise<FakeDiscord> {
  const events = new EventEmitter();
  events.setMaxListeners(100);
  let nextId = 1_300_000_000_000_000_000n;
  const snowflake = () => String(nextId++);
  const bot: FakeDiscordUser = { id: options.botId ?? '1200000000000000001', username: options.botUsername ?? 'tether-bot', global_name: null, discriminator: '0', bot: true };
  const guilds = options.guilds ?? [];
  const calls: FakeDiscordCall[] = [];
  const messages = new Map<string, FakeDiscordMessage>();
  const interactionResponses: FakeInteractionResponse[] = [];
  const gatewayLog: { op: number; d: Record<string, unknown> }[] = [];
  /** channel id → kind; guild channels from the options, DM channels as they are created or dispatched. */
  const channels = new Map<string, { type: 0 | 1; guildId?: string; recipientId?: string }>();
  for (const guild of guilds) for (const channel of guild.channels) channels.set(channel.id, { type: 0, guildId: guild.id });
  const dmByUser = new Map<string, string>();
  const interactions = new Map<string, { token: string; acknowledged: boolean }>();
  const users = new Map<string, FakeDiscordUser>();
  let session: Session | undefined;
  let port = 0;
  const rateLimits: number[] = [];

  const dmChannelFor = (userId: string) => {
    let id = dmByUser.get(userId);
    if (!id) {
      id = snowflake();
      dmByUser.set(userId, id);
      channels.set(id, { type: 1, recipientId: userId });
    }
    return id;
  };
  const userFor = (id: string, username?: string, globalName?: string, isBot?: boolean): FakeDiscordUser => {
    const user: FakeDiscordUser = { id, username: username ?? `user${id.slice(-4)}`, global_name: globalName ?? null, discriminator: '0', ...(isBot ? { bot: true } : {}) };
    users.set(id, user);
    return user;
  };

  // ---- REST ----
  const send = (res: ServerResponse, status: number, body?: unknown) => {
    if (res.writableEnded || res.destroyed) return;
    if (body === undefined) {
      res.writeHead(status, { connection: 'close' });
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify(body));
  };

  const checkComponents = (components: unknown): ReturnType<typeof formError> | undefined => {
    if (components === undefined) return undefined;
    if (!Array.isArray(components) || components.length > 5) return formError(['components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 0 and 5 in length.');
    for (const [r, row] of components.entries()) {
      const inner = (row as { components?: unknown[] }).components ?? [];
      if (inner.length < 1 || inner.length > 5) return formError(['components', String(r), 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.');
      for (const [b, button] of inner.entries()) {
        const { custom_id, label } = button as { custom_id?: unknown; label?: unknown };
        if (typeof custom_id !== 'string' || custom_id.length > 100) return formError(['components', String(r), 'components', String(b), 'custom_id'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
        if (typeof label === 'string' && label.length > 80) return formError(['components', String(r), 'components', String(b), 'label'], 'BASE_TYPE_MAX_LENGTH', 'Must be 80 or fewer in length.');
      }
    }
    return undefined;
  };

  const postMessage = (res: ServerResponse, channelId: string, call: FakeDiscordCall) => {
    if (!channels.has(channelId)) return send(res, 404, errors.unknownChannel);
    const content = typeof call.body.content === 'string' ? call.body.content : '';
    if (content.length > DISCORD_TEXT_LIMIT) return send(res, 400, formError(['content'], 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.'));
    const bad = checkComponents(call.body.components);
    if (bad) return send(res, 400, bad);
    const components = (call.body.components as unknown[] | undefined) ?? [];
    if (content.trim() === '' && call.files.length === 0 && components.length === 0) return send(res, 400, errors.empty);
    const attachments = call.files.map((file, i) => ({ id: snowflake(), filename: file.filename ?? `file${i}`, size: file.data.length, url: `http://127.0.0.1:${port}/attachments/${i}`, proxy_url: `http://127.0.0.1:${port}/attachments/${i}`, content_type: file.contentType }));
    const message: FakeDiscordMessage = { id: snowflake(), channel_id: channelId, content, components, attachments, author: bot };
    messages.set(message.id, message);
    return send(res, 200, wireMessage(message));
  };

  const wireMessage = (m: FakeDiscordMessage) => ({
    id: m.id,
    channel_id: m.channel_id,
    ...(channels.get(m.channel_id)?.guildId ? { guild_id: channels.get(m.channel_id)!.guildId } : {}),
    author: m.author,
    content: m.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: m.attachments,
    embeds: [],
    pinned: false,
    type: 0,
    flags: 0,
    components: m.components,
  });

  const handleRest = (call: FakeDiscordCall, res: ServerResponse) => {
    const { method, path } = call;
    let m: RegExpExecArray | null;
    // Interaction callbacks and follow-ups are authorised by the interaction token in the URL.
    if (method === 'POST' && (m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path))) {
      const interaction = interactions.get(m[1]!);
      if (!interaction || interaction.token !== m[2]) return send(res, 404, errors.unknownInteraction);
      if (interaction.acknowledged) return send(res, 400, errors.acknowledged);
      const type = Number(call.body.type);
      const data = call.body.data as Record<string, unknown> | undefined;
      if (type === 4 && (typeof data?.content !== 'string' || data.content.trim() === '')) return send(res, 400, errors.empty);
      if (type === 4 && (data!.content as string).length > DISCORD_TEXT_LIMIT) return send(res, 400, formError(['data', 'content'], 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.'));
      interaction.acknowledged = true;
      interactionResponses.push({ interactionId: m[1]!, type, ...(data ? { data } : {}) });
      return send(res, 204);
    }
    if (method === 'POST' && (m = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(path))) {
      const found = [...interactions.entries()].find(([, i]) => i.token === m![2]);
      if (!found || !found[1].acknowledged) return send(res, 404, { message: 'Unknown Webhook', code: 10015 });
      const content = typeof call.body.content === 'string' ? call.body.content : '';
      if (content.trim() === '') return send(res, 400, errors.empty);
      interactionResponses.push({ interactionId: found[0], type: -1, data: call.body });
      return send(res, 200, wireMessage({ id: snowflake(), channel_id: '0', content, components: [], attachments: [], author: bot }));
    }
    if (!call.authorised) return send(res, 401, errors.unauthorized);
    const limited = rateLimits.shift();
    if (limited !== undefined) {
      res.writeHead(429, {
        'content-type': 'application/json',
        connection: 'close',
        'retry-after': String(Math.ceil(limited)),
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset-after': String(limited),
        'x-ratelimit-bucket': 'fake-bucket',
        'x-ratelimit-scope': 'user',
      });
      res.end(JSON.stringify({ message: 'You are being rate limited.', retry_after: limited, global: false }));
      return;
    }
    if (method === 'GET' && path === '/gateway/bot') {
      return send(res, 200, { url: `ws://127.0.0.1:${port}`, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } });
    }
    if (method === 'GET' && path === '/users/@me') return send(res, 200, bot);
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = String(call.body.recipient_id ?? '');
      if (!/^\d{1,20}$/.test(recipient)) return send(res, 400, formError(['recipient_id'], 'NUMBER_TYPE_COERCE', `Value "${recipient}" is not snowflake.`));
      const id = dmChannelFor(recipient);
      return send(res, 200, { id, type: 1, last_message_id: null, flags: 0, recipients: [users.get(recipient) ?? userFor(recipient)] });
    }
    if (method === 'GET' && (m = /^\/channels\/(\d+)$/.exec(path))) {
      const known = channels.get(m[1]!);
      if (!known) return send(res, 404, errors.unknownChannel);
      if (known.type === 1) return send(res, 200, { id: m[1], type: 1, last_message_id: null, flags: 0, recipients: [users.get(known.recipientId!) ?? userFor(known.recipientId!)] });
      return send(res, 200, { id: m[1], type: 0, guild_id: known.guildId, name: 'general', position: 0, permission_overwrites: [], nsfw: false, parent_id: null, flags: 0 });
    }
    if (method === 'POST' && (m = /^\/channels\/(\d+)\/messages$/.exec(path))) return postMessage(res, m[1]!, call);
    if (method === 'PATCH' && (m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
      const message = messages.get(m[2]!);
      if (!message || message.channel_id !== m[1]) return send(res, 404, errors.unknownMessage);
      if (typeof call.body.content === 'string') {
        if (call.body.content.length > DISCORD_TEXT_LIMIT) return send(res, 400, formError(['content'], 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.'));
        message.content = call.body.content;
      }
      if (call.body.components !== undefined) {
        const bad = checkComponents(call.body.components);
        if (bad) return send(res, 400, bad);
        message.components = call.body.components as unknown[];
      }
      return send(res, 200, wireMessage(message));
    }
    if (method === 'POST' && (m = /^\/channels\/(\d+)\/typing$/.exec(path))) {
      if (!channels.has(m[1]!)) return send(res, 404, errors.unknownChannel);
      return send(res, 204);
    }
    return send(res, 404, errors.notFound);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const prefix = '/api/v10';
      if (!url.pathname.startsWith(prefix)) return send(res, 404, errors.notFound);
      const path = url.pathname.slice(prefix.length);
      const { body, files } = parseBody(req, raw);
      const call: FakeDiscordCall = {
        method: req.method ?? 'GET',
        path,
        route: path.replace(/\/\d{5,}/g, '/:id').replace(/^\/interactions\/:id\/[^/]+\/callback$/, '/interactions/:id/:token/callback').replace(/^\/webhooks\/:id\/[^/]+$/, '/webhooks/:id/:token'),
        body,
        files,
        authorised: req.headers.authorization === `Bot ${options.token}`,
      };
      calls.push(call);
      events.emit('call', call);
      handleRest(call, res);
    })().catch((err: unknown) => send(res, 500, { message: `fake: ${String(err)}`, code: 0 }));
  });

  // ---- Gateway ----
  const wss = new WebSocketServer({ server });
  const sendOp = (socket: WebSocket, payload: Record<string, unknown>) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ s: null, t: null, ...payload }));
  };
  const dispatch = (t: string, d: unknown) => {
    if (!session) return;
    const s = ++session.seq;
    session.sent.push({ s, t, d });
    if (session.socket) sendOp(session.socket, { op: 0, t, s, d });
  };

  wss.on('connection', (socket, req) => {
    const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    if (query.get('encoding') !== 'json' || query.get('compress')) {
      socket.close(4002, 'Error while decoding payload.');
      return;
    }
    if (query.get('v') !== '10') {
      socket.close(4012, 'Invalid API version');
      return;
    }
    events.emit('connection');
    if (options.silentGateway) return;
    let authenticated = false;
    sendOp(socket, { op: 10, d: { heartbeat_interval: options.heartbeatIntervalMs ?? 41_250, _trace: ['fake-discord'] } });
    socket.on('close', () => {
      if (session?.socket === socket) session.socket = undefined;
    });
    socket.on('message', (data) => {
      let payload: { op?: number; d?: unknown };
      try {
        payload = JSON.parse(String(data)) as { op?: number; d?: unknown };
      } catch {
        socket.close(4002, 'Error while decoding payload.');
        return;
      }
      const d = (payload.d ?? {}) as Record<string, unknown>;
      switch (payload.op) {
        case 1:
          sendOp(socket, { op: 11 });
          return;
        case 2: {
          gatewayLog.push({ op: 2, d });
          events.emit('gateway');
          if (authenticated) return socket.close(4005, 'Already authenticated.');
          if (d.token !== options.token || options.gatewayRejectsToken) return socket.close(4004, 'Authentication failed.');
          const intents = Number(d.intents);
          if (!Number.isInteger(intents)) return socket.close(4013, 'Invalid intent(s).');
          if (options.messageContentIntent === false && (intents & MESSAGE_CONTENT_INTENT) !== 0) return socket.close(4014, 'Disallowed intent(s).');
          authenticated = true;
          if (session?.socket && session.socket !== socket) session.socket.terminate();
          session = { id: `fake-session-${snowflake()}`, seq: 0, sent: [], socket };
          dispatch('READY', {
            v: 10,
            user: bot,
            guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
            session_id: session.id,
            resume_gateway_url: `ws://127.0.0.1:${port}`,
            shard: [0, 1],
            application: { id: bot.id, flags: 0 },
            private_channels: [],
            relationships: [],
            user_settings: {},
            presences: [],
            guild_join_requests: [],
            geo_ordered_rtc_regions: [],
          });
          for (const guild of guilds) dispatch('GUILD_CREATE', guildPayload(guild));
          return;
        }
        case 6: {
          gatewayLog.push({ op: 6, d });
          events.emit('gateway');
          if (d.token !== options.token) return socket.close(4004, 'Authentication failed.');
          if (!session || d.session_id !== session.id) {
            sendOp(socket, { op: 9, d: false });
            return;
          }
          authenticated = true;
          if (session.socket && session.socket !== socket) session.socket.terminate();
          session.socket = socket;
          const from = Number(d.seq ?? 0);
          for (const missed of session.sent.filter((e) => e.s > from)) sendOp(socket, { op: 0, t: missed.t, s: missed.s, d: missed.d });
          dispatch('RESUMED', null);
          return;
        }
        default:
          if (!authenticated) socket.close(4003, 'Not authenticated.');
      }
    });
  });

  const guildPayload = (guild: FakeDiscordGuild) => ({
    id: guild.id,
    name: guild.name ?? 'Fake guild',
    icon: null,
    owner_id: '1',
    unavailable: false,
    member_count: 2,
    large: false,
    joined_at: new Date().toISOString(),
    features: [],
    roles: [
      { id: guild.id, name: '@everyone', permissions: '1024', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
      ...(guild.botRoleId ? [{ id: guild.botRoleId, name: bot.username, permissions: '3072', position: 1, color: 0, hoist: false, managed: true, mentionable: false, flags: 0, tags: { bot_id: bot.id } }] : []),
    ],
    emojis: [],
    stickers: [],
    channels: guild.channels.map((c, i) => ({ id: c.id, type: 0, name: c.name ?? `channel-${i}`, guild_id: guild.id, position: i, permission_overwrites: [], nsfw: false, parent_id: null })),
    threads: [],
    members: [],
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const found = check();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const listener = () => {
        const value = check();
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`fake-discord: timed out waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        events.off('call', listener);
        events.off('gateway', listener);
      };
      events.on('call', listener);
      events.on('gateway', listener);
    });
  };

  return {
    apiBase: `http://127.0.0.1:${port}/api`,
    gatewayUrl: `ws://127.0.0.1:${port}`,
    token: options.token,
    bot,
    calls,
    messages,
    interactionResponses,
    gatewayLog,
    connections: () => [...wss.clients].filter((c) => c.readyState === c.OPEN).length,
    dispatchMessage(m) {
      const dm = m.guildId === undefined;
      if (dm) {
        if (!channels.has(m.channelId)) channels.set(m.channelId, { type: 1, recipientId: m.authorId });
        if (!dmByUser.has(m.authorId)) dmByUser.set(m.authorId, m.channelId);
      } else if (channels.get(m.channelId)?.guildId !== m.guildId) {
        throw new Error(`fake-discord: channel ${m.channelId} is not in guild ${m.guildId}`);
      }
      const author = userFor(m.authorId, m.username, m.globalName, m.bot);
      const mentions = (m.mentions ?? []).map((id) => (id === bot.id ? bot : (users.get(id) ?? userFor(id))));
      const id = snowflake();
      const payload: Record<string, unknown> = {
        id,
        channel_id: m.channelId,
        ...(m.omitChannelType ? {} : { channel_type: dm ? 1 : 0 }),
        ...(dm ? {} : { guild_id: m.guildId, member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 } }),
        author,
        content: m.content,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        tts: false,
        mention_everyone: false,
        mentions,
        mention_roles: m.mentionRoles ?? [],
        attachments: [],
        embeds: [],
        pinned: false,
        type: m.type ?? (m.replyToAuthorId ? 19 : 0),
        flags: 0,
        nonce: id,
        components: [],
      };
      if (m.replyToAuthorId) {
        const repliedAuthor = m.replyToAuthorId === bot.id ? bot : (users.get(m.replyToAuthorId) ?? userFor(m.replyToAuthorId));
        const earlier = snowflake();
        payload.message_reference = { type: 0, message_id: earlier, channel_id: m.channelId, ...(dm ? {} : { guild_id: m.guildId }) };
        payload.referenced_message = { ...wireMessage({ id: earlier, channel_id: m.channelId, content: 'earlier', components: [], attachments: [], author: repliedAuthor as FakeDiscordUser }) };
      }
      Object.assign(payload, m.extra ?? {});
      dispatch('MESSAGE_CREATE', payload);
      return id;
    },
    dispatchButton(b) {
      const dm = b.guildId === undefined;
      if (dm && !channels.has(b.channelId)) channels.set(b.channelId, { type: 1, recipientId: b.userId });
      const user = users.get(b.userId) ?? userFor(b.userId, b.username);
      const messageId = b.messageId ?? [...messages.values()].filter((m) => m.channel_id === b.channelId).at(-1)?.id;
      // Discord always sends the message a component was on; a press on one the fake never saw gets a stub.
      const message = (messageId ? messages.get(messageId) : undefined) ?? { id: messageId ?? snowflake(), channel_id: b.channelId, content: '(earlier message)', components: [], attachments: [], author: bot };
      const id = snowflake();
      const token = `aW50ZXJhY3Rpb246${id}.interaction-token-secret`;
      interactions.set(id, { token, acknowledged: false });
      dispatch('INTERACTION_CREATE', {
        id,
        application_id: bot.id,
        type: 3,
        data: { custom_id: b.customId, component_type: 2 },
        channel_id: b.channelId,
        channel: dm ? { id: b.channelId, type: 1, last_message_id: messageId ?? null, flags: 0, recipients: [user] } : { id: b.channelId, type: 0, guild_id: b.guildId, name: 'general', position: 0, permission_overwrites: [], nsfw: false, parent_id: null, flags: 0 },
        ...(dm ? { user, context: 1 } : { guild_id: b.guildId, member: { user, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0, permissions: '1024' }, context: 0 }),
        token,
        version: 1,
        message: wireMessage(message),
        app_permissions: '1024',
        locale: 'en-US',
        entitlements: [],
        authorizing_integration_owners: { '0': bot.id },
        attachment_size_limit: 10_485_760,
      });
      return id;
    },
    dispatchRaw: dispatch,
    dropConnection() {
      session?.socket?.terminate();
    },
    requestReconnect() {
      if (session?.socket) sendOp(session.socket, { op: 7, d: null });
    },
    invalidateSession() {
      const socket = session?.socket;
      session = undefined;
      if (socket) sendOp(socket, { op: 9, d: false });
    },
    rateLimitNext(count = 1, retryAfterSeconds = 0.05) {
      rateLimits.push(...Array.from({ length: count }, () => retryAfterSeconds));
    },
    closeGateway(code, reason = '') {
      session?.socket?.close(code, reason);
    },
    dmChannelFor,
    waitForCall(route, match = () => true, timeoutMs = 15_000) {
      return waitFor(() => calls.find((c) => c.route === route && match(c)), timeoutMs, `a call to ${route}`);
    },
    waitForGateway(op, count = 1, timeoutMs = 15_000) {
      return waitFor(() => (gatewayLog.filter((e) => e.op === op).length >= count ? true : undefined), timeoutMs, `${count} gateway op ${op}`).then(() => undefined);
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function parseBody(req: IncomingMessage, raw: Buffer): { body: Record<string, unknown>; files: FakeDiscordFile[] } {
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: {}, files: [] };
  if (/application\/json/i.test(type)) return { body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, files: [] };
  if (/multipart\/form-data/i.test(type)) {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
    if (!boundary) throw new Error('multipart body without a boundary');
    const parts = parseMultipart(raw, boundary[1] ?? boundary[2]!);
    const json = parts.find((p) => p.name === 'payload_json');
    const files = parts
      .filter((p) => p.filename !== undefined)
      .map((p) => ({ field: p.name, filename: p.filename!, ...partType(raw, p.name), data: p.data }));
    return { body: json ? (JSON.parse(json.data.toString('utf8')) as Record<string, unknown>) : {}, files };
  }
  return { body: {}, files: [] };
}

/** The content-type header of a multipart part (parseMultipart keeps only names). */
function partType(raw: Buffer, name: string): { contentType?: string } {
  const text = raw.toString('latin1');
  const at = text.indexOf(`name="${name}"`);
  if (at === -1) return {};
  const headerEnd = text.indexOf('\r\n\r\n', at);
  const match = /content-type:\s*([^\r\n]+)/i.exec(text.slice(at, headerEnd));
  return match ? { contentType: match[1]!.trim() } : {};
}
