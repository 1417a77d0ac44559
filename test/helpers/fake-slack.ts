/**
 * A local fake of Slack for one workspace and one app, speaking the real wire formats on 127.0.0.1
 * (chat-channels-and-control-ui.md §2.2, §3). Bolt is pointed at it with
 * `clientOptions: { slackApiUrl: fake.apiUrl }`; that also reaches the Socket Mode client's
 * apps.connections.open, whose answer is this fake's own `ws://127.0.0.1:P/link/?ticket=…`.
 *
 * Web API (`POST /api/<method>`, form-encoded or JSON, the token as `Authorization: Bearer` or a
 * `token` field; answers are HTTP 200 `{ok:false,error}` like Slack's):
 * - no token → `not_authed`; a wrong token → `invalid_auth`; the bot token where the app-level token
 *   belongs (or the other way round) → `not_allowed_token_type`.
 * - `auth.test`, `apps.connections.open` (app token), `chat.postMessage` (no text and no blocks →
 *   `no_text`, text over 40,000 characters → `msg_too_long`, an unknown-looking channel →
 *   `channel_not_found`), `chat.update` (`message_not_found`, `cant_update_message` for another's
 *   message), `chat.postEphemeral`, `conversations.open` (users → a `D…` id, `user_not_found`),
 *   `files.getUploadURLExternal` → an absolute `upload_url` on this server, the upload POST itself, and
 *   `files.completeUploadExternal` (`file_not_found` for an id never uploaded).
 * - Socket Mode: `/link/` WebSocket, sends `hello` on connect; `sendEvent` / `pressButton` deliver
 *   `events_api` / `interactive` envelopes (queued until a socket is open), every ack `{envelope_id,
 *   payload}` is recorded; `disconnectSocket()` sends Slack's `disconnect` message, `dropSocket()`
 *   cuts the TCP connection with no close frame.
 *
 * Every Web API call is recorded in `calls`. Responses carry `connection: close` so an idle keep-alive
 * socket never races a later request.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { readBody } from './fake-telegram.js';

export interface FakeSlackCall {
  method: string;
  params: Record<string, unknown>;
  /** Which token the call carried: 'bot', 'app', 'wrong' or 'none'. */
  auth: 'bot' | 'app' | 'wrong' | 'none';
  /** The `error` answered, when the call was refused. */
  error?: string;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Record<string, unknown>[];
  user: string;
}

export interface FakeSlackUpload {
  fileId: string;
  filename: string;
  length: number;
  data: Buffer;
  completed?: { channelId?: string; initialComment?: string; title?: string };
}

export interface FakeSlackOptions {
  botToken: string;
  appToken: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
}

export interface SlackMessageEvent {
  channel: string;
  user: string;
  text: string;
  /** im (a DM, the default for D… channels), channel, group, mpim. */
  channelType?: string;
  ts?: string;
  /** Extra or overriding event fields (subtype, bot_id, user_profile, …), sent as given. */
  extra?: Record<string, unknown>;
}

export interface FakeSlack {
  readonly apiUrl: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly calls: FakeSlackCall[];
  readonly messages: Map<string, FakeSlackMessage>;
  readonly uploads: Map<string, FakeSlackUpload>;
  /** Every ack received over Socket Mode, by envelope id. */
  readonly acks: Map<string, unknown>;
  /** Socket Mode connections made so far, and how many are open now. */
  connectionCount(): number;
  openSockets(): number;
  /** Delivers an `events_api` envelope whose `payload.event` is `event`; returns its envelope_id. */
  sendEvent(event: Record<string, unknown>): string;
  /** A `message` event (DM by default), returns the envelope_id; `ts` defaults to a fresh one. */
  sendMessage(message: SlackMessageEvent): string;
  /** Delivers an `interactive` envelope with this payload; returns its envelope_id. */
  sendInteractive(payload: Record<string, unknown>): string;
  /** A `block_actions` press of a button with this value (and action_id) under a message. */
  pressButton(press: { user: string; channel: string; messageTs: string; value: string; actionId: string; userName?: string }): string;
  /** Slack's `{"type":"disconnect"}` on every open socket. */
  disconnectSocket(reason?: string): void;
  /** Cuts every open socket at the TCP level (no close frame). */
  dropSocket(): void;
  /** Whether new sockets get `hello` (default true): false imitates a link that opens but stays deaf. */
  setHello(enabled: boolean): void;
  /** The first recorded call of `method` matching `match` (already made or future). */
  waitForCall(method: string, match?: (call: FakeSlackCall) => boolean): Promise<FakeSlackCall>;
  waitForAck(envelopeId: string): Promise<unknown>;
  waitForSocket(): Promise<void>;
  close(): Promise<void>;
}

export const SLACK_TEXT_HARD_LIMIT = 40_000;

/** Signs an Events API request as Slack does (`v0=` HMAC-SHA256 of `v0:<ts>:<body>`). */
export function signSlackRequest(signingSecret: string, body: string, timestampSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestampSeconds), 'x-slack-signature': signature };
}

export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const teamId = options.teamId ?? 'T0FAKE';
  const botUserId = options.botUserId ?? 'U0BOT';
  const botId = options.botId ?? 'B0BOT';
  const calls: FakeSlackCall[] = [];
  const messages = new Map<string, FakeSlackMessage>();
  const uploads = new Map<string, FakeSlackUpload>();
  const acks = new Map<string, unknown>();
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const sockets = new Set<WebSocket>();
  const queue: string[] = [];
  let connections = 0;
  let hello = true;
  let sequence = 0;
  let tsCounter = 0;
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++tsCounter).padStart(6, '0')}`;
  const directChannels = new Map<string, string>();

  const server = createServer((req, res) => void handle(req, res).catch(() => json(res, 500, { ok: false, error: 'fatal_error' })));
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/link/')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections += 1;
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
      ws.on('message', (data) => {
        let frame: { envelope_id?: unknown; payload?: unknown };
        try {
          frame = JSON.parse(String(data)) as typeof frame;
        } catch {
          return;
        }
        if (typeof frame.envelope_id === 'string') {
          acks.set(frame.envelope_id, frame.payload);
          events.emit('ack', frame.envelope_id);
        }
      });
      if (!hello) return;
      greeted.add(ws);
      ws.send(JSON.stringify({ type: 'hello', num_connections: sockets.size, debug_info: { host: 'fake-slack', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0FAKE' } }));
      events.emit('socket');
      flush();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
    res.end(JSON.stringify(body));
  };

  const greeted = new WeakSet<WebSocket>();
  const flush = () => {
    const open = [...sockets].find((ws) => ws.readyState === ws.OPEN && greeted.has(ws));
    if (!open) return;
    while (queue.length > 0) open.send(queue.shift()!);
  };
  const enqueue = (frame: Record<string, unknown>) => {
    queue.push(JSON.stringify(frame));
    flush();
  };

  const record = (call: FakeSlackCall) => {
    calls.push(call);
    events.emit('call', call);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const raw = await readBody(req);
    if (url.pathname.startsWith('/upload/')) {
      const fileId = url.pathname.slice('/upload/'.length);
      const upload = uploads.get(fileId);
      if (!upload || req.method !== 'POST') {
        res.writeHead(404, { connection: 'close' }).end();
        return;
      }
      const type = req.headers['content-type'] ?? '';
      let data = raw;
      if (type.startsWith('multipart/form-data')) {
        const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
        const part = [...form.values()].find((value) => typeof value !== 'string') as Blob | undefined;
        if (part) data = Buffer.from(await part.arrayBuffer());
      }
      upload.data = data;
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end(`OK - ${data.length}`);
      return;
    }
    const match = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
    if (!match || req.method !== 'POST') {
      res.writeHead(404, { connection: 'close' }).end();
      return;
    }
    const method = match[1]!;
    const params = parseParams(raw, req.headers['content-type'] ?? '');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? (typeof params.token === 'string' ? params.token : undefined);
    const auth: FakeSlackCall['auth'] = !bearer ? 'none' : bearer === options.botToken ? 'bot' : bearer === options.appToken ? 'app' : 'wrong';
    const { token: _token, ...visible } = params;
    const call: FakeSlackCall = { method, params: visible, auth };
    const fail = (error: string, extra: Record<string, unknown> = {}) => {
      call.error = error;
      record(call);
      json(res, 200, { ok: false, error, ...extra });
    };
    const ok = (body: Record<string, unknown>) => {
      record(call);
      json(res, 200, { ok: true, ...body });
    };
    if (auth === 'none') return fail('not_authed');
    if (auth === 'wrong') return fail('invalid_auth');
    const wantsApp = method === 'apps.connections.open';
    if (wantsApp !== (auth === 'app')) return fail('not_allowed_token_type');
    const str = (key: string) => (typeof params[key] === 'string' ? (params[key] as string) : undefined);

    switch (method) {
      case 'auth.test':
        return ok({ url: 'https://fake.slack.com/', team: 'Fake Team', user: 'tether', team_id: teamId, user_id: botUserId, bot_id: botId, is_enterprise_install: false });
      case 'apps.connections.open':
        return ok({ url: `ws://127.0.0.1:${port}/link/?ticket=${randomBytes(8).toString('hex')}&app_id=A0FAKE` });
      case 'chat.postMessage': {
        const channel = str('channel');
        if (!channel || !/^[CDGUW][A-Z0-9]+$/.test(channel)) return fail('channel_not_found');
        const text = str('text') ?? '';
        const blocks = parseBlocks(params.blocks);
        if (blocks === 'invalid') return fail('invalid_blocks');
        if (text.trim() === '' && blocks.length === 0) return fail('no_text');
        if (text.length > SLACK_TEXT_HARD_LIMIT) return fail('msg_too_long');
        const ts = nextTs();
        const message: FakeSlackMessage = { channel, ts, text, blocks, user: botUserId };
        messages.set(`${channel}:${ts}`, message);
        return ok({ channel, ts, message: { type: 'message', text, user: botUserId, bot_id: botId, ts, blocks } });
      }
      case 'chat.update': {
        const channel = str('channel') ?? '';
        const ts = str('ts') ?? '';
        const message = messages.get(`${channel}:${ts}`);
        if (!message) return fail('message_not_found');
        if (message.user !== botUserId) return fail('cant_update_message');
        const text = str('text');
        if (text !== undefined && text.length > SLACK_TEXT_HARD_LIMIT) return fail('msg_too_long');
        const blocks = parseBlocks(params.blocks);
        if (blocks === 'invalid') return fail('invalid_blocks');
        if (text !== undefined) message.text = text;
        // Slack keeps the old blocks unless the call carries blocks; an empty array removes them.
        if (params.blocks !== undefined) message.blocks = blocks;
        return ok({ channel, ts, text: message.text });
      }
      case 'chat.postEphemeral': {
        const channel = str('channel');
        const user = str('user');
        if (!channel || !/^[CDG][A-Z0-9]+$/.test(channel)) return fail('channel_not_found');
        if (!user || !/^[UW][A-Z0-9]+$/.test(user)) return fail('user_not_in_channel');
        if ((str('text') ?? '').trim() === '') return fail('no_text');
        return ok({ message_ts: nextTs() });
      }
      case 'conversations.open': {
        const users = str('users');
        if (!users || !/^[UW][A-Z0-9]+$/.test(users)) return fail('user_not_found');
        let id = directChannels.get(users);
        if (!id) {
          id = `D${users.slice(1)}`;
          directChannels.set(users, id);
        }
        return ok({ channel: { id } });
      }
      case 'files.getUploadURLExternal': {
        const filename = str('filename');
        const length = Number(params.length);
        if (!filename || !Number.isInteger(length) || length <= 0) return fail('invalid_arguments');
        const fileId = `F${String(++sequence).padStart(8, '0')}`;
        uploads.set(fileId, { fileId, filename, length, data: Buffer.alloc(0) });
        return ok({ upload_url: `${base}/upload/${fileId}`, file_id: fileId });
      }
      case 'files.completeUploadExternal': {
        let files: { id?: string; title?: string }[];
        try {
          files = JSON.parse(str('files') ?? '') as typeof files;
        } catch {
          return fail('invalid_arguments');
        }
        if (!Array.isArray(files) || files.length === 0) return fail('invalid_arguments');
        for (const file of files) {
          const upload = file.id ? uploads.get(file.id) : undefined;
          if (!upload || upload.data.length === 0) return fail('file_not_found');
        }
        const channelId = str('channel_id');
        if (channelId !== undefined && !/^[CDG][A-Z0-9]+$/.test(channelId)) return fail('channel_not_found');
        for (const file of files) {
          const upload = uploads.get(file.id!)!;
          upload.completed = { ...(channelId ? { channelId } : {}), ...(str('initial_comment') ? { initialComment: str('initial_comment') } : {}), ...(file.title ? { title: file.title } : {}) };
        }
        return ok({ files: files.map((file) => ({ id: file.id, title: file.title })) });
      }
      default:
        return fail('unknown_method');
    }
  }

  const fake: FakeSlack = {
    apiUrl: `${base}/api/`,
    botUserId,
    botId,
    teamId,
    calls,
    messages,
    uploads,
    acks,
    connectionCount: () => connections,
    openSockets: () => [...sockets].filter((ws) => ws.readyState === ws.OPEN).length,
    sendEvent(event) {
      const envelopeId = `env-${++sequence}`;
      const eventId = `Ev${String(sequence).padStart(8, '0')}`;
      enqueue({
        envelope_id: envelopeId,
        type: 'events_api',
        accepts_response_payload: false,
        retry_attempt: 0,
        retry_reason: '',
        payload: {
          token: 'verification-token-unused',
          team_id: teamId,
          api_app_id: 'A0FAKE',
          event: { event_ts: event.ts ?? nextTs(), ...event },
          type: 'event_callback',
          event_id: eventId,
          event_time: Math.floor(Date.now() / 1000),
          authorizations: [{ team_id: teamId, user_id: botUserId, is_bot: true, is_enterprise_install: false }],
          is_ext_shared_channel: false,
        },
      });
      return envelopeId;
    },
    sendMessage(message) {
      const channelType = message.channelType ?? (message.channel.startsWith('D') ? 'im' : 'channel');
      return fake.sendEvent({
        type: 'message',
        channel: message.channel,
        channel_type: channelType,
        user: message.user,
        text: message.text,
        ts: message.ts ?? nextTs(),
        team: teamId,
        ...(message.extra ?? {}),
      });
    },
    sendInteractive(payload) {
      const envelopeId = `env-${++sequence}`;
      enqueue({ envelope_id: envelopeId, type: 'interactive', accepts_response_payload: false, payload });
      return envelopeId;
    },
    pressButton(press) {
      return fake.sendInteractive({
        type: 'block_actions',
        user: { id: press.user, username: press.userName ?? 'someone', name: press.userName ?? 'someone', team_id: teamId },
        api_app_id: 'A0FAKE',
        token: 'verification-token-unused',
        container: { type: 'message', message_ts: press.messageTs, channel_id: press.channel, is_ephemeral: false },
        trigger_id: `${sequence}.trigger`,
        team: { id: teamId, domain: 'fake' },
        channel: { id: press.channel, name: 'directmessage' },
        message: messages.get(`${press.channel}:${press.messageTs}`) ? { type: 'message', ts: press.messageTs, text: messages.get(`${press.channel}:${press.messageTs}`)!.text } : { type: 'message', ts: press.messageTs },
        response_url: `${base}/actions/response`,
        actions: [{ action_id: press.actionId, block_id: 'b1', text: { type: 'plain_text', text: 'button' }, value: press.value, type: 'button', action_ts: nextTs() }],
      });
    },
    disconnectSocket(reason = 'refresh_requested') {
      for (const ws of sockets) ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake-slack' } }));
    },
    dropSocket() {
      for (const ws of sockets) ws.terminate();
    },
    setHello(enabled) {
      hello = enabled;
    },
    waitForCall(method, match = () => true) {
      const found = calls.find((call) => call.method === method && match(call));
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => {
        const listener = (call: FakeSlackCall) => {
          if (call.method === method && match(call)) {
            events.off('call', listener);
            resolve(call);
          }
        };
        events.on('call', listener);
      });
    },
    waitForAck(envelopeId) {
      if (acks.has(envelopeId)) return Promise.resolve(acks.get(envelopeId));
      return new Promise((resolve) => {
        const listener = (id: string) => {
          if (id === envelopeId) {
            events.off('ack', listener);
            resolve(acks.get(envelopeId));
          }
        };
        events.on('ack', listener);
      });
    },
    waitForSocket() {
      if (fake.openSockets() > 0) return Promise.resolve();
      return new Promise((resolve) => events.once('socket', () => resolve()));
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function parseParams(raw: Buffer, contentType: string): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (contentType.startsWith('application/json')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** `blocks` arrives as a JSON string in a form body, or as an array in a JSON body. */
function parseBlocks(value: unknown): Record<string, unknown>[] | 'invalid' {
  if (value === undefined) return [];
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return 'invalid';
    }
  }
  if (!Array.isArray(parsed) || parsed.length > 50 || !parsed.every((block) => typeof block === 'object' && block !== null && typeof (block as { type?: unknown }).type === 'string')) return 'invalid';
  return parsed as Record<string, unknown>[];
}
