/**
 * A local fake of the Telegram Bot API for one bot token, speaking the real wire format over HTTP on
 * 127.0.0.1 (docs: chat-channels-and-control-ui.md §2.1, §3). grammY is pointed at it with
 * `new Bot(token, { client: { apiRoot: fake.apiRoot } })`.
 *
 * - `getMe`, `deleteWebhook`, `sendChatAction`.
 * - `getUpdates` long polls: held until an update is queued or its `timeout` runs out, honours `offset`
 *   (updates below it are confirmed and dropped). A newer getUpdates terminates a pending one, which
 *   gets Telegram's 409 "Conflict: terminated by other getUpdates request…" (the newer one wins, as on
 *   the real server). `failNextGetUpdates()` answers the next call with that 409 outright.
 * - `sendMessage` refuses empty text and text over 4,096 characters with the real 400 descriptions, and an
 *   inline keyboard whose callback_data is empty or over 64 bytes (`BUTTON_DATA_INVALID`).
 * - Buttons: `queueCallbackQuery` delivers a press only of a button that exists on a message the bot sent
 *   (a client cannot press anything else); `answerCallbackQuery` needs a live query id (a second answer
 *   is refused, as Telegram does); `editMessageText` needs the message, and refuses an unchanged one.
 * - `sendPhoto` / `sendVideo` / `sendDocument` accept JSON or multipart (a tolerant parser: grammY writes
 *   `content-disposition:form-data;name="x";filename=y`, which Node 20's FormData refuses), resolve
 *   `attach://` names to their parts, and refuse a caption over 1,024 characters.
 * - Any other token gets 401 `{ok:false,error_code:401,description:"Unauthorized"}`.
 *
 * Every call is recorded in `calls` (method, parsed params, files). Responses carry `connection: close`
 * so an idle keep-alive socket never races a later request.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTelegramFile {
  /** The params field the file belongs to (`photo`, `video`, …), after resolving `attach://`. */
  field: string;
  filename?: string;
  data: Buffer;
}

export interface FakeTelegramCall {
  method: string;
  params: Record<string, unknown>;
  files: FakeTelegramFile[];
  /** What a successful sendMessage returned (its message_id is what buttons and edits refer to). */
  result?: { message_id: number };
}

export interface QueueMessageOptions {
  chatId: number;
  chatType: 'private' | 'group' | 'supergroup';
  fromId: number;
  text: string;
  firstName?: string;
  username?: string;
  chatTitle?: string;
  /** The message replies to one from this user id (the bot's id for a reply to the bot). */
  replyToFromId?: number;
  entities?: Array<{ type: string; offset: number; length: number }>;
}

export interface FakeTelegramOptions {
  token: string;
  botId?: number;
  botUsername?: string;
}

export interface FakeTelegram {
  readonly apiRoot: string;
  readonly token: string;
  readonly botId: number;
  readonly botUsername: string;
  readonly calls: FakeTelegramCall[];
  /** Queues a text message update; returns its update_id. */
  queueMessage(options: QueueMessageOptions): number;
  /**
   * A photo message: Telegram sends a few sizes; here `data` is the largest and each size in
   * `extraSizes` claims its own file_size (getFile refuses any over 20 MB with the real error).
   */
  queuePhoto(options: { chatId: number; fromId: number; data: Buffer; caption?: string; width?: number; height?: number; extraSizes?: { width: number; height: number; fileSize: number }[]; filePath?: string }): number;
  /** A press of the button with `data` on the bot's message `messageId` in `chatId`; returns the query id. */
  queueCallbackQuery(options: { chatId: number; messageId: number; fromId: number; data: string; firstName?: string }): string;
  /** The inline keyboard currently on a message the bot sent (after edits). */
  buttonsOf(chatId: number, messageId: number): { text: string; callback_data: string }[];
  /** Another bot instance polls: the held getUpdates gets 409 now, and the next `more` calls get it too. */
  conflictNow(more?: number): void;
  /**
   * Webhook mode: once the bot has called setWebhook (https only, as Telegram insists), updates are
   * POSTed to `localUrl` (standing in for the reverse proxy behind the public URL) with the secret
   * header, in order, until answered 2xx (redelivered every 200 ms otherwise, as Telegram retries).
   */
  forwardWebhookTo(localUrl: string): void;
  /** The webhook the bot set (url, secret_token), if any. */
  webhook(): { url: string; secretToken?: string } | undefined;
  /** The next `times` calls of `method` get Telegram's 429 with `retry_after` seconds (flood control). */
  rateLimitNext(method: string, retryAfterSeconds: number, times?: number): void;
  /** The next `times` getUpdates are held and never answered, not even at their timeout (a connection gone quiet). */
  swallowNextPolls(times?: number): void;
  /** The next getUpdates is answered with 409 Conflict (cumulative: n calls). */
  failNextGetUpdates(times?: number): void;
  /** Resolves with the first recorded call (already made or future) of `method` matching `match`. */
  waitForCall(method: string, match?: (call: FakeTelegramCall) => boolean): Promise<FakeTelegramCall>;
  /** Number of getUpdates calls currently held open. */
  pendingPolls(): number;
  close(): Promise<void>;
}

const CONFLICT = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';

interface PendingPoll {
  res: ServerResponse;
  offset: number;
  limit: number;
  timer: NodeJS.Timeout;
}

export async function startFakeTelegram(options: FakeTelegramOptions): Promise<FakeTelegram> {
  const botId = options.botId ?? 777000111;
  const botUsername = options.botUsername ?? 'tether_test_bot';
  const calls: FakeTelegramCall[] = [];
  const events = new EventEmitter();
  const updates: Array<{ update_id: number } & Record<string, unknown>> = [];
  let nextUpdateId = 1;
  let nextMessageId = 1;
  let conflicts = 0;
  let swallow = 0;
  let webhook: { url: string; secretToken?: string } | undefined;
  let forwardTo: string | undefined;
  let forwarding = false;
  const rateLimits = new Map<string, { retryAfter: number; times: number }>();
  let pending: PendingPoll | undefined;
  /** Messages the bot sent, by `${chatId}:${messageId}`: their text and inline keyboard. */
  const sent = new Map<string, { text: string; keyboard: { text: string; callback_data: string }[][] }>();
  const liveQueries = new Set<string>();
  /** Files a bot may download: file_id → bytes (or only a claimed size) and path. */
  const files = new Map<string, { path: string; data?: Buffer; size: number }>();
  let nextQueryId = 1;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify(body));
  };
  const ok = (res: ServerResponse, result: unknown) => send(res, 200, { ok: true, result });
  const fail = (res: ServerResponse, code: number, description: string) =>
    send(res, code, { ok: false, error_code: code, description });

  const available = (offset: number, limit: number) => {
    // An offset confirms every update below it.
    while (updates.length > 0 && updates[0]!.update_id < offset) updates.shift();
    return updates.slice(0, limit);
  };
  const forward = async () => {
    if (forwarding || !webhook || !forwardTo) return;
    forwarding = true;
    try {
      while (updates.length > 0 && webhook && forwardTo) {
        const update = updates[0]!;
        const status = await fetch(forwardTo, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(webhook.secretToken ? { 'x-telegram-bot-api-secret-token': webhook.secretToken } : {}) },
          body: JSON.stringify(update),
        }).then(
          (response) => response.status,
          () => 0,
        );
        if (status >= 200 && status < 300) updates.shift();
        else await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      forwarding = false;
    }
  };
  const answerPending = () => {
    if (webhook) return void forward();
    if (!pending) return;
    const batch = available(pending.offset, pending.limit);
    if (batch.length === 0) return;
    const poll = pending;
    pending = undefined;
    clearTimeout(poll.timer);
    ok(poll.res, batch);
  };

  const message = (chatId: unknown, extra: Record<string, unknown>) => ({
    message_id: nextMessageId++,
    date: Math.floor(Date.now() / 1000),
    chat: { id: Number(chatId), type: Number(chatId) < 0 ? 'group' : 'private' },
    from: { id: botId, is_bot: true, first_name: 'Tether', username: botUsername },
    ...extra,
  });

  const handle = (method: string, call: FakeTelegramCall, res: ServerResponse) => {
    const p = call.params;
    const limited = rateLimits.get(method);
    if (limited && limited.times > 0) {
      limited.times--;
      return send(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${limited.retryAfter}`, parameters: { retry_after: limited.retryAfter } });
    }
    switch (method) {
      case 'getMe':
        return ok(res, {
          id: botId,
          is_bot: true,
          first_name: 'Tether',
          username: botUsername,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        });
      case 'deleteWebhook':
        webhook = undefined;
        return ok(res, true);
      case 'setWebhook': {
        const url = typeof p.url === 'string' ? p.url : '';
        if (!url.startsWith('https://')) return fail(res, 400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
        const secret = p.secret_token === undefined ? undefined : String(p.secret_token);
        if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) return fail(res, 400, 'Bad Request: bad webhook: secret token contains unallowed characters');
        webhook = { url, ...(secret !== undefined ? { secretToken: secret } : {}) };
        ok(res, true);
        return void forward();
      }
      case 'getUpdates': {
        if (webhook) return fail(res, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
        if (swallow > 0) {
          swallow--;
          return; // held until the client gives up on the connection
        }
        if (conflicts > 0) {
          conflicts--;
          return fail(res, 409, CONFLICT);
        }
        if (pending) {
          const old = pending;
          pending = undefined;
          clearTimeout(old.timer);
          fail(old.res, 409, CONFLICT);
        }
        const offset = Number(p.offset ?? 0);
        const limit = Math.min(Math.max(Number(p.limit ?? 100), 1), 100);
        const timeoutS = Math.max(Number(p.timeout ?? 0), 0);
        const batch = available(offset, limit);
        if (batch.length > 0 || timeoutS === 0) return ok(res, batch);
        const poll: PendingPoll = {
          res,
          offset,
          limit,
          timer: setTimeout(() => {
            if (pending === poll) pending = undefined;
            ok(res, []);
          }, timeoutS * 1000),
        };
        pending = poll;
        res.on('close', () => {
          if (pending === poll) {
            pending = undefined;
            clearTimeout(poll.timer);
          }
        });
        return;
      }
      case 'sendMessage': {
        const text = typeof p.text === 'string' ? p.text : '';
        if (text.trim() === '') return fail(res, 400, 'Bad Request: message text is empty');
        if (text.length > 4096) return fail(res, 400, 'Bad Request: message is too long');
        const keyboard = inlineKeyboard(p.reply_markup);
        if (keyboard === 'invalid') return fail(res, 400, 'Bad Request: BUTTON_DATA_INVALID');
        const result = message(p.chat_id, { text, ...(keyboard.length > 0 ? { reply_markup: { inline_keyboard: keyboard } } : {}) });
        sent.set(`${Number(p.chat_id)}:${result.message_id}`, { text, keyboard });
        call.result = result;
        return ok(res, result);
      }
      case 'editMessageText': {
        const key = `${Number(p.chat_id)}:${Number(p.message_id)}`;
        const existing = sent.get(key);
        if (!existing) return fail(res, 400, 'Bad Request: message to edit not found');
        const text = typeof p.text === 'string' ? p.text : '';
        if (text.trim() === '') return fail(res, 400, 'Bad Request: message text is empty');
        if (text.length > 4096) return fail(res, 400, 'Bad Request: MESSAGE_TOO_LONG');
        const keyboard = inlineKeyboard(p.reply_markup);
        if (keyboard === 'invalid') return fail(res, 400, 'Bad Request: BUTTON_DATA_INVALID');
        if (text === existing.text && JSON.stringify(keyboard) === JSON.stringify(existing.keyboard)) {
          return fail(res, 400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
        }
        sent.set(key, { text, keyboard });
        return ok(res, { ...message(p.chat_id, { text }), message_id: Number(p.message_id), edit_date: Math.floor(Date.now() / 1000) });
      }
      case 'getFile': {
        const file = files.get(String(p.file_id ?? ''));
        if (!file) return fail(res, 400, 'Bad Request: invalid file_id');
        if (file.size > 20 * 1024 * 1024) return fail(res, 400, 'Bad Request: file is too big');
        return ok(res, { file_id: String(p.file_id), file_unique_id: `u${String(p.file_id)}`, file_size: file.size, file_path: file.path });
      }
      case 'answerCallbackQuery': {
        const id = String(p.callback_query_id ?? '');
        if (!liveQueries.delete(id)) return fail(res, 400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
        if (typeof p.text === 'string' && p.text.length > 200) return fail(res, 400, 'Bad Request: MESSAGE_TOO_LONG');
        return ok(res, true);
      }
      case 'sendPhoto':
      case 'sendVideo':
      case 'sendDocument': {
        const field = method === 'sendPhoto' ? 'photo' : method === 'sendVideo' ? 'video' : 'document';
        const caption = typeof p.caption === 'string' ? p.caption : undefined;
        if (caption !== undefined && caption.length > 1024) return fail(res, 400, 'Bad Request: message caption is too long');
        const file = call.files.find((f) => f.field === field);
        if (!file && typeof p[field] !== 'string') return fail(res, 400, `Bad Request: there is no ${field} in the request`);
        const size = file?.data.length ?? 0;
        const meta = { file_id: `F${nextMessageId}`, file_unique_id: `U${nextMessageId}`, file_size: size };
        const media =
          field === 'photo' ? { photo: [{ ...meta, width: 1, height: 1 }] } : field === 'video' ? { video: { ...meta, width: 1, height: 1, duration: 1 } } : { document: meta };
        return ok(res, message(p.chat_id, { ...media, ...(caption !== undefined ? { caption } : {}) }));
      }
      case 'sendChatAction':
        if (typeof p.action !== 'string') return fail(res, 400, 'Bad Request: wrong parameter action in request');
        return ok(res, true);
      default:
        return fail(res, 404, 'Not Found');
    }
  };

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
      if (download) {
        if (download[1] !== options.token) return fail(res, 401, 'Unauthorized');
        const file = [...files.values()].find((f) => f.path === decodeURIComponent(download[2]!));
        calls.push({ method: 'file', params: { path: download[2] }, files: [] });
        if (!file?.data) return fail(res, 404, 'Not Found');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.data.length, connection: 'close' });
        return void res.end(file.data);
      }
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
      if (!match) return fail(res, 404, 'Not Found');
      if (match[1] !== options.token) return fail(res, 401, 'Unauthorized');
      const method = match[2]!;
      const call: FakeTelegramCall = { method, ...parseParams(req, url, body) };
      calls.push(call);
      events.emit('call', call);
      handle(method, call, res);
    })().catch((err: unknown) => fail(res, 500, `Internal Server Error: ${String(err)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token: options.token,
    botId,
    botUsername,
    calls,
    queueMessage(m) {
      const update_id = nextUpdateId++;
      const from = { id: m.fromId, is_bot: false, first_name: m.firstName ?? `User${m.fromId}`, ...(m.username ? { username: m.username } : {}) };
      const chat =
        m.chatType === 'private'
          ? { id: m.chatId, type: 'private', first_name: from.first_name }
          : { id: m.chatId, type: m.chatType, title: m.chatTitle ?? 'Group' };
      const msg: Record<string, unknown> = { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from, text: m.text };
      if (m.entities) msg.entities = m.entities;
      if (m.replyToFromId !== undefined) {
        const isBot = m.replyToFromId === botId;
        msg.reply_to_message = {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat,
          from: { id: m.replyToFromId, is_bot: isBot, first_name: isBot ? 'Tether' : `User${m.replyToFromId}`, ...(isBot ? { username: botUsername } : {}) },
          text: 'earlier',
        };
      }
      updates.push({ update_id, message: msg });
      answerPending();
      return update_id;
    },
    queuePhoto(m) {
      const sizes = [...(m.extraSizes ?? []), { width: m.width ?? 640, height: m.height ?? 480, fileSize: m.data.length, data: m.data }].map((size, index) => {
        const id = `photo${nextMessageId}-${index}`;
        files.set(id, { path: 'data' in size && m.filePath ? m.filePath : `photos/file_${nextMessageId}_${index}.jpg`, size: size.fileSize, ...('data' in size ? { data: size.data } : {}) });
        return { file_id: id, file_unique_id: `u${id}`, width: size.width, height: size.height, file_size: size.fileSize };
      });
      const from = { id: m.fromId, is_bot: false, first_name: `User${m.fromId}` };
      const chat = m.chatId < 0 ? { id: m.chatId, type: 'group', title: 'Group' } : { id: m.chatId, type: 'private', first_name: from.first_name };
      const update_id = nextUpdateId++;
      updates.push({ update_id, message: { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from, photo: sizes, ...(m.caption !== undefined ? { caption: m.caption } : {}) } });
      answerPending();
      return update_id;
    },
    queueCallbackQuery(q) {
      const key = `${q.chatId}:${q.messageId}`;
      const target = sent.get(key);
      if (!target?.keyboard.flat().some((button) => button.callback_data === q.data)) {
        throw new Error(`fake Telegram: message ${key} has no button with data ${JSON.stringify(q.data)}`);
      }
      const id = String(nextQueryId++);
      liveQueries.add(id);
      const from = { id: q.fromId, is_bot: false, first_name: q.firstName ?? `User${q.fromId}` };
      updates.push({
        update_id: nextUpdateId++,
        callback_query: {
          id,
          from,
          chat_instance: `ci${q.chatId}`,
          data: q.data,
          message: { message_id: q.messageId, date: Math.floor(Date.now() / 1000), chat: { id: q.chatId, type: q.chatId < 0 ? 'group' : 'private' }, from: { id: botId, is_bot: true, first_name: 'Tether', username: botUsername }, text: target.text },
        },
      });
      answerPending();
      return id;
    },
    buttonsOf: (chatId, messageId) => sent.get(`${chatId}:${messageId}`)?.keyboard.flat() ?? [],
    conflictNow(more = 0) {
      conflicts += more;
      if (!pending) return;
      const held = pending;
      pending = undefined;
      clearTimeout(held.timer);
      fail(held.res, 409, CONFLICT);
    },
    forwardWebhookTo(localUrl) {
      forwardTo = localUrl;
      void forward();
    },
    webhook: () => webhook,
    rateLimitNext(method, retryAfter, times = 1) {
      rateLimits.set(method, { retryAfter, times });
    },
    swallowNextPolls(times = 1) {
      swallow += times;
    },
    failNextGetUpdates(times = 1) {
      conflicts += times;
    },
    waitForCall(method, match = () => true) {
      const found = calls.find((c) => c.method === method && match(c));
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => {
        const listener = (c: FakeTelegramCall) => {
          if (c.method === method && match(c)) {
            events.off('call', listener);
            resolve(c);
          }
        };
        events.on('call', listener);
      });
    },
    pendingPolls: () => (pending ? 1 : 0),
    async close() {
      if (pending) {
        clearTimeout(pending.timer);
        ok(pending.res, []);
        pending = undefined;
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** reply_markup's inline keyboard (a JSON string in form bodies), [] when absent, 'invalid' as Telegram would refuse. */
function inlineKeyboard(markup: unknown): { text: string; callback_data: string }[][] | 'invalid' {
  if (markup === undefined) return [];
  let value: unknown = markup;
  if (typeof markup === 'string') {
    try {
      value = JSON.parse(markup);
    } catch {
      return 'invalid';
    }
  }
  const rows = (value as { inline_keyboard?: unknown }).inline_keyboard;
  if (rows === undefined) return [];
  if (!Array.isArray(rows)) return 'invalid';
  for (const row of rows) {
    if (!Array.isArray(row)) return 'invalid';
    for (const button of row as { text?: unknown; callback_data?: unknown }[]) {
      if (typeof button.text !== 'string' || button.text === '') return 'invalid';
      if (typeof button.callback_data !== 'string' || button.callback_data === '' || Buffer.byteLength(button.callback_data) > 64) return 'invalid';
    }
  }
  return rows as { text: string; callback_data: string }[][];
}

/** A request's whole body (the fakes of every platform read it the same way). */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseParams(req: IncomingMessage, url: URL, body: Buffer): { params: Record<string, unknown>; files: FakeTelegramFile[] } {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const files: FakeTelegramFile[] = [];
  const type = req.headers['content-type'] ?? '';
  if (body.length === 0) return { params, files };
  if (/application\/json/i.test(type)) {
    Object.assign(params, JSON.parse(body.toString('utf8')) as Record<string, unknown>);
  } else if (/application\/x-www-form-urlencoded/i.test(type)) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  } else if (/multipart\/form-data/i.test(type)) {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
    if (!boundary) throw new Error('multipart body without a boundary');
    const parts = parseMultipart(body, boundary[1] ?? boundary[2]!);
    const named = new Map(parts.map((part) => [part.name, part]));
    const attached = new Set<string>();
    for (const part of parts) {
      if (part.filename !== undefined) continue;
      const value = part.data.toString('utf8');
      params[part.name] = value;
      const attach = /^attach:\/\/(.+)$/.exec(value);
      const target = attach ? named.get(attach[1]!) : undefined;
      if (target) {
        attached.add(target.name);
        files.push({ field: part.name, ...(target.filename !== undefined ? { filename: target.filename } : {}), data: target.data });
      }
    }
    // A file part sent directly under its field name.
    for (const part of parts) {
      if (part.filename !== undefined && !attached.has(part.name)) files.push({ field: part.name, filename: part.filename, data: part.data });
    }
  }
  return { params, files };
}

interface Part {
  name: string;
  filename?: string;
  data: Buffer;
}

/** A tolerant multipart/form-data parser: header lines with or without spaces, quoted or bare params. */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const parts: Part[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    let start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    else if (body[start] === 0x0a) start += 1;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    let end = next;
    if (body[end - 1] === 0x0a) end--;
    if (body[end - 1] === 0x0d) end--;
    const chunk = body.subarray(start, end);
    let split = chunk.indexOf('\r\n\r\n');
    let sepLength = 4;
    if (split === -1) {
      split = chunk.indexOf('\n\n');
      sepLength = 2;
    }
    if (split !== -1) {
      const headers = chunk.subarray(0, split).toString('utf8').split(/\r?\n/);
      const data = chunk.subarray(split + sepLength);
      let name: string | undefined;
      let filename: string | undefined;
      for (const line of headers) {
        const colon = line.indexOf(':');
        if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
        for (const param of line.slice(colon + 1).split(';')) {
          const eq = param.indexOf('=');
          if (eq === -1) continue;
          const key = param.slice(0, eq).trim().toLowerCase();
          let value = param.slice(eq + 1).trim();
          if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
          if (key === 'name') name = value;
          else if (key === 'filename') filename = value;
        }
      }
      if (name !== undefined) parts.push({ name, ...(filename !== undefined ? { filename } : {}), data: Buffer.from(data) });
    }
    at = next;
  }
  return parts;
}
