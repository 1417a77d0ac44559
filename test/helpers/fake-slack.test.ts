import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { signSlackRequest, startFakeSlack, type FakeSlack } from './fake-slack.js';

const BOT = 'xoxb-1-2-fake-bot-secret';
const APP = 'xapp-1-A0FAKE-fake-app-secret';
let fake: FakeSlack | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await fake?.close();
  fake = undefined;
});

async function call(f: FakeSlack, method: string, params: Record<string, string> = {}, token: string | null = BOT) {
  const res = await fetch(`${f.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: new URLSearchParams(params),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown> & { ok: boolean; error?: string };
}

/** Opens the Socket Mode URL and collects frames. */
async function connect(f: FakeSlack) {
  const opened = await call(f, 'apps.connections.open', {}, APP);
  const ws = new WebSocket(String(opened.url));
  sockets.push(ws);
  const frames: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Record<string, unknown>);
    waiters.splice(0).forEach((w) => w());
  });
  const next = async (count: number) => {
    while (frames.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return frames[count - 1]!;
  };
  return { ws, frames, next, url: String(opened.url) };
}

describe('fake Slack', () => {
  it('refuses a missing, wrong or misplaced token with the real errors', async () => {
    fake = await startFakeSlack({ botToken: BOT, appToken: APP });
    expect(await call(fake, 'auth.test')).toMatchObject({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0FAKE' });
    expect(await call(fake, 'auth.test', {}, null)).toEqual({ ok: false, error: 'not_authed' });
    expect(await call(fake, 'auth.test', {}, 'xoxb-wrong')).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await call(fake, 'apps.connections.open', {}, BOT)).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await call(fake, 'chat.postMessage', { channel: 'D1', text: 'x' }, APP)).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await call(fake, 'auth.test', { token: BOT }, null)).toMatchObject({ ok: true });
    expect(fake.calls.every((c) => !JSON.stringify(c).includes(BOT))).toBe(true);
  });

  it('posts, refuses no_text / msg_too_long / bad channels, updates (blocks: [] removes buttons), opens DMs', async () => {
    fake = await startFakeSlack({ botToken: BOT, appToken: APP });
    expect(await call(fake, 'chat.postMessage', { channel: 'D0A', text: '' })).toEqual({ ok: false, error: 'no_text' });
    expect(await call(fake, 'chat.postMessage', { channel: 'D0A', text: 'x'.repeat(40_001) })).toEqual({ ok: false, error: 'msg_too_long' });
    expect(await call(fake, 'chat.postMessage', { channel: 'nope', text: 'hi' })).toEqual({ ok: false, error: 'channel_not_found' });
    expect(await call(fake, 'chat.postMessage', { channel: 'D0A', text: 'hi', blocks: '{not json' })).toEqual({ ok: false, error: 'invalid_blocks' });
    const posted = await call(fake, 'chat.postMessage', { channel: 'D0A', text: 'hi', blocks: JSON.stringify([{ type: 'actions', elements: [] }]) });
    expect(posted).toMatchObject({ ok: true, channel: 'D0A', ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    const ts = String(posted.ts);
    expect(await call(fake, 'chat.update', { channel: 'D0A', ts, text: 'edited' })).toMatchObject({ ok: true });
    expect(fake.messages.get(`D0A:${ts}`)!.blocks).toHaveLength(1);
    await call(fake, 'chat.update', { channel: 'D0A', ts, text: 'edited', blocks: '[]' });
    expect(fake.messages.get(`D0A:${ts}`)).toMatchObject({ text: 'edited', blocks: [] });
    expect(await call(fake, 'chat.update', { channel: 'D0A', ts: '1.2', text: 'x' })).toEqual({ ok: false, error: 'message_not_found' });
    expect(await call(fake, 'conversations.open', { users: 'U0ADA' })).toEqual({ ok: true, channel: { id: 'D0ADA' } });
    expect(await call(fake, 'conversations.open', { users: 'bob' })).toEqual({ ok: false, error: 'user_not_found' });
    expect(await call(fake, 'unknown.method')).toEqual({ ok: false, error: 'unknown_method' });
  });

  it('the upload trio: an absolute upload_url, the bytes, completion only for uploaded files', async () => {
    fake = await startFakeSlack({ botToken: BOT, appToken: APP });
    const got = await call(fake, 'files.getUploadURLExternal', { filename: 'a.jpg', length: '3' });
    expect(got).toMatchObject({ ok: true, upload_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/upload\/F\d+$/), file_id: expect.any(String) });
    const files = JSON.stringify([{ id: got.file_id, title: 'A' }]);
    expect(await call(fake, 'files.completeUploadExternal', { files, channel_id: 'D0A' })).toEqual({ ok: false, error: 'file_not_found' });
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array([1, 2, 3])]), 'a.jpg');
    expect((await fetch(String(got.upload_url), { method: 'POST', body: form })).status).toBe(200);
    expect(await call(fake, 'files.completeUploadExternal', { files, channel_id: 'D0A', initial_comment: 'cap' })).toMatchObject({ ok: true });
    expect(fake.uploads.get(String(got.file_id))).toMatchObject({ data: Buffer.from([1, 2, 3]), completed: { channelId: 'D0A', initialComment: 'cap', title: 'A' } });
    expect(await call(fake, 'files.getUploadURLExternal', { filename: 'a.jpg' })).toEqual({ ok: false, error: 'invalid_arguments' });
  });

  it('Socket Mode: hello, queued envelopes delivered on connect, acks recorded, disconnect and drop', async () => {
    fake = await startFakeSlack({ botToken: BOT, appToken: APP });
    const envelope = fake.sendMessage({ channel: 'D0A', user: 'U0A', text: 'queued before connect' });
    const s = await connect(fake);
    expect(s.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f]+&app_id=A0FAKE$/);
    expect(await s.next(1)).toMatchObject({ type: 'hello' });
    expect(await s.next(2)).toMatchObject({ envelope_id: envelope, type: 'events_api', payload: { type: 'event_callback', team_id: 'T0FAKE', event: { type: 'message', channel: 'D0A', channel_type: 'im', user: 'U0A', text: 'queued before connect' } } });
    s.ws.send(JSON.stringify({ envelope_id: envelope, payload: {} }));
    expect(await fake.waitForAck(envelope)).toEqual({});
    const press = fake.pressButton({ user: 'U0A', channel: 'D0A', messageTs: '1.000001', value: 'xa:1:o', actionId: 'tether_button_0' });
    expect(await s.next(3)).toMatchObject({ envelope_id: press, type: 'interactive', payload: { type: 'block_actions', user: { id: 'U0A' }, actions: [{ type: 'button', value: 'xa:1:o', action_id: 'tether_button_0' }] } });
    fake.disconnectSocket();
    expect(await s.next(4)).toMatchObject({ type: 'disconnect', reason: 'refresh_requested' });
    const closed = new Promise<number>((resolve) => s.ws.once('close', (code) => resolve(code)));
    fake.dropSocket();
    expect(await closed).toBe(1006);
    expect(fake.connectionCount()).toBe(1);
    expect(fake.openSockets()).toBe(0);
  });

  it('signs Events API requests the way Slack does', () => {
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', 'token=x', 1531420618)).toEqual({
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': expect.stringMatching(/^v0=[0-9a-f]{64}$/),
    });
  });
});
