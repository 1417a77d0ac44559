import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startFakeDiscord, type FakeDiscord } from './fake-discord.js';

const TOKEN = 'MTIz.fake.secret-token';
const GUILD = '1100000000000000001';
const GENERAL = '1100000000000000002';
let fake: FakeDiscord | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await fake?.close();
  fake = undefined;
});

async function rest(f: FakeDiscord, method: string, path: string, body?: unknown, token = TOKEN) {
  const res = await fetch(`${f.apiBase}/v10${path}`, {
    method,
    headers: { authorization: `Bot ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** A raw gateway client: every frame it gets, and its close code. */
function connect(f: FakeDiscord, query = '?v=10&encoding=json') {
  const socket = new WebSocket(`${f.gatewayUrl}${query}`);
  sockets.push(socket);
  const frames: { op: number; t?: string; s?: number; d: any }[] = [];
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  socket.on('message', (data) => frames.push(JSON.parse(String(data))));
  const next = async (match: (frame: (typeof frames)[number]) => boolean) => {
    for (let i = 0; i < 400; i++) {
      const found = frames.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no such frame; got ${JSON.stringify(frames)}`);
  };
  const send = (payload: unknown) => socket.send(JSON.stringify(payload));
  return { socket, frames, closed, next, send, open: new Promise((resolve) => socket.on('open', resolve)) };
}

describe('fake Discord REST', () => {
  it('gives the gateway URL, the bot user, and Discord\'s 401 body for a wrong token', async () => {
    fake = await startFakeDiscord({ token: TOKEN, botUsername: 'my-bot' });
    expect((await rest(fake, 'GET', '/gateway/bot')).json).toEqual({
      url: fake.gatewayUrl,
      shards: 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
    });
    expect((await rest(fake, 'GET', '/users/@me')).json).toMatchObject({ username: 'my-bot', bot: true });
    expect(await rest(fake, 'GET', '/users/@me', undefined, 'wrong')).toMatchObject({ status: 401, json: { message: '401: Unauthorized', code: 0 } });
  });

  it('refuses over-long and empty messages with Discord\'s bodies; typing is a bare 204', async () => {
    fake = await startFakeDiscord({ token: TOKEN, guilds: [{ id: GUILD, channels: [{ id: GENERAL }] }] });
    expect(await rest(fake, 'POST', `/channels/${GENERAL}/messages`, { content: 'x'.repeat(2001) })).toMatchObject({
      status: 400,
      json: { message: 'Invalid Form Body', code: 50035, errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } } },
    });
    expect(await rest(fake, 'POST', `/channels/${GENERAL}/messages`, { content: '' })).toMatchObject({ status: 400, json: { message: 'Cannot send an empty message', code: 50006 } });
    expect((await rest(fake, 'POST', `/channels/${GENERAL}/messages`, { content: 'x'.repeat(2000) })).status).toBe(200);
    expect(await rest(fake, 'POST', '/channels/1999999999999999999/messages', { content: 'hi' })).toMatchObject({ status: 404, json: { code: 10003 } });
    const long = await rest(fake, 'POST', `/channels/${GENERAL}/messages`, { content: 'b', components: [{ type: 1, components: [{ type: 2, style: 1, label: 'l', custom_id: 'c'.repeat(101) }] }] });
    expect(long.json).toMatchObject({ code: 50035, errors: { components: { '0': { components: { '0': { custom_id: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } } } } });
    expect(await rest(fake, 'POST', `/channels/${GENERAL}/typing`)).toEqual({ status: 204, type: null, json: undefined });
  });

  it('parses multipart attachments, edits messages, opens DMs, and answers an interaction once', async () => {
    fake = await startFakeDiscord({ token: TOKEN, guilds: [{ id: GUILD, channels: [{ id: GENERAL }] }] });
    const form = new FormData();
    form.append('payload_json', JSON.stringify({ content: 'cap', attachments: [{ id: '0' }] }));
    form.append('files[0]', new Blob([Buffer.from([0xff, 0xd8, 0xff])], { type: 'image/jpeg' }), 'a.jpg');
    const res = await fetch(`${fake.apiBase}/v10/channels/${GENERAL}/messages`, { method: 'POST', headers: { authorization: `Bot ${TOKEN}` }, body: form });
    const sent = (await res.json()) as { id: string; attachments: { filename: string }[] };
    expect(sent.attachments[0]!.filename).toBe('a.jpg');
    expect(fake.calls.at(-1)!.files).toEqual([{ field: 'files[0]', filename: 'a.jpg', contentType: 'image/jpeg', data: Buffer.from([0xff, 0xd8, 0xff]) }]);
    expect((await rest(fake, 'PATCH', `/channels/${GENERAL}/messages/${sent.id}`, { content: 'edited', components: [] })).json).toMatchObject({ content: 'edited' });
    expect((await rest(fake, 'PATCH', `/channels/${GENERAL}/messages/1999999999999999999`, { content: 'x' })).json).toMatchObject({ code: 10008 });
    const dm = await rest(fake, 'POST', '/users/@me/channels', { recipient_id: '1000000000000000042' });
    expect(dm.json).toMatchObject({ id: fake.dmChannelFor('1000000000000000042'), type: 1, recipients: [{ id: '1000000000000000042' }] });

    const socket = connect(fake);
    await socket.next((f) => f.op === 10);
    socket.send({ op: 2, d: { token: TOKEN, intents: 0, properties: {} } });
    await socket.next((f) => f.t === 'READY');
    const id = fake.dispatchButton({ channelId: GENERAL, guildId: GUILD, userId: '1000000000000000042', customId: 'xa:1:o', messageId: sent.id });
    const interaction = await socket.next((f) => f.t === 'INTERACTION_CREATE');
    expect(interaction.d).toMatchObject({ id, type: 3, data: { custom_id: 'xa:1:o', component_type: 2 }, message: { id: sent.id }, member: { user: { id: '1000000000000000042' } } });
    const callback = (token: string) => fetch(`${fake!.apiBase}/v10/interactions/${id}/${token}/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 4, data: { content: 'ok', flags: 64 } }) });
    expect((await callback('wrong')).status).toBe(404);
    expect((await callback(interaction.d.token)).status).toBe(204);
    expect(await (await callback(interaction.d.token)).json()).toEqual({ message: 'Interaction has already been acknowledged.', code: 40060 });
  });
});

describe('fake Discord gateway', () => {
  it('closes 4004 on a wrong token, 4012 on a wrong version, 4014 for an ungranted Message Content intent', async () => {
    fake = await startFakeDiscord({ token: TOKEN, messageContentIntent: false });
    const wrong = connect(fake);
    await wrong.next((f) => f.op === 10);
    wrong.send({ op: 2, d: { token: 'nope', intents: 0, properties: {} } });
    expect(await wrong.closed).toBe(4004);
    expect(await connect(fake, '?v=9&encoding=json').closed).toBe(4012);
    const intents = connect(fake);
    await intents.next((f) => f.op === 10);
    intents.send({ op: 2, d: { token: TOKEN, intents: 1 << 15, properties: {} } });
    expect(await intents.closed).toBe(4014);
  });

  it('HELLO, READY with a session and guilds, heartbeat ACKs, and RESUME replays what was missed', async () => {
    fake = await startFakeDiscord({ token: TOKEN, guilds: [{ id: GUILD, channels: [{ id: GENERAL }] }], heartbeatIntervalMs: 1234 });
    const first = connect(fake);
    expect((await first.next((f) => f.op === 10)).d.heartbeat_interval).toBe(1234);
    first.send({ op: 2, d: { token: TOKEN, intents: 513, properties: {} } });
    const ready = await first.next((f) => f.t === 'READY');
    expect(ready.d).toMatchObject({ v: 10, user: { id: fake.bot.id, bot: true }, guilds: [{ id: GUILD, unavailable: true }], session_id: expect.any(String), resume_gateway_url: fake.gatewayUrl });
    expect((await first.next((f) => f.t === 'GUILD_CREATE')).d).toMatchObject({ id: GUILD, channels: [{ id: GENERAL, type: 0 }] });
    first.send({ op: 1, d: 2 });
    await first.next((f) => f.op === 11);
    const dm = fake.dispatchMessage({ channelId: '1000000000000000500', authorId: '1000000000000000042', content: 'hi' });
    const seen = await first.next((f) => f.t === 'MESSAGE_CREATE');
    expect(seen.d).toMatchObject({ id: dm, channel_type: 1, author: { id: '1000000000000000042' }, content: 'hi' });

    fake.dropConnection();
    expect(await first.closed).toBe(1006);
    fake.dispatchMessage({ channelId: '1000000000000000500', authorId: '1000000000000000042', content: 'while away' });
    const second = connect(fake);
    await second.next((f) => f.op === 10);
    second.send({ op: 6, d: { token: TOKEN, session_id: 'stale', seq: seen.s } });
    expect((await second.next((f) => f.op === 9)).d).toBe(false);
    second.send({ op: 6, d: { token: TOKEN, session_id: ready.d.session_id, seq: seen.s } });
    const replayed = await second.next((f) => f.t === 'MESSAGE_CREATE');
    expect(replayed.d.content).toBe('while away');
    await second.next((f) => f.t === 'RESUMED');

    fake.requestReconnect();
    await second.next((f) => f.op === 7);
  });
});
