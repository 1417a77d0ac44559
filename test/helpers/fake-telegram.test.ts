import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from './fake-telegram.js';

const TOKEN = '123456:fake-secret-token';
let fake: FakeTelegram | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function call(f: FakeTelegram, method: string, body?: unknown, token = TOKEN) {
  const res = await fetch(`${f.apiRoot}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  return { status: res.status, json: (await res.json()) as { ok: boolean; result?: unknown; error_code?: number; description?: string } };
}

describe('fake Telegram Bot API', () => {
  it('answers getMe and refuses a wrong token with 401 Unauthorized', async () => {
    fake = await startFakeTelegram({ token: TOKEN, botUsername: 'my_bot' });
    expect((await call(fake, 'getMe')).json.result).toMatchObject({ is_bot: true, username: 'my_bot' });
    expect(await call(fake, 'getMe', {}, '1:wrong')).toEqual({
      status: 401,
      json: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
  });

  it('holds getUpdates until a message is queued, honours offset, and a newer poll gets the old one a 409', async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    const held = call(fake, 'getUpdates', { offset: 0, timeout: 20 });
    await fake.waitForCall('getUpdates');
    const id = fake.queueMessage({ chatId: 5, chatType: 'private', fromId: 5, text: 'hi' });
    const first = await held;
    expect(first.json.result).toMatchObject([{ update_id: id, message: { text: 'hi', chat: { id: 5, type: 'private' } } }]);
    // offset id+1 confirms it: nothing left.
    expect((await call(fake, 'getUpdates', { offset: id + 1, timeout: 0 })).json.result).toEqual([]);

    const older = call(fake, 'getUpdates', { offset: id + 1, timeout: 20 });
    await fake.waitForCall('getUpdates', (c) => c.params.timeout === 20);
    const newer = call(fake, 'getUpdates', { offset: id + 1, timeout: 0 });
    expect((await older).json).toMatchObject({ ok: false, error_code: 409, description: expect.stringContaining('Conflict: terminated by other getUpdates request') });
    expect((await newer).json.result).toEqual([]);

    fake.failNextGetUpdates();
    expect((await call(fake, 'getUpdates', { timeout: 0 })).status).toBe(409);
    expect((await call(fake, 'getUpdates', { timeout: 0 })).status).toBe(200);
  });

  it('refuses empty and over-long text, and parses grammY-style multipart with attach://', async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    expect((await call(fake, 'sendMessage', { chat_id: 1, text: '' })).json.description).toBe('Bad Request: message text is empty');
    expect((await call(fake, 'sendMessage', { chat_id: 1, text: 'x'.repeat(4097) })).json.description).toBe('Bad Request: message is too long');
    expect((await call(fake, 'sendMessage', { chat_id: 1, text: 'x'.repeat(4096) })).json.ok).toBe(true);

    const b = 'grammyboundary';
    const body = Buffer.concat([
      Buffer.from(`--${b}\r\ncontent-disposition:form-data;name="chat_id"\r\n\r\n42\r\n`),
      Buffer.from(`--${b}\r\ncontent-disposition:form-data;name="caption"\r\n\r\ncam\r\n`),
      Buffer.from(`--${b}\r\ncontent-disposition:form-data;name="photo"\r\n\r\nattach://abc123\r\n`),
      Buffer.from(`--${b}\r\ncontent-disposition:form-data;name="abc123";filename=snap.jpg\r\ncontent-type:application/octet-stream\r\n\r\n`),
      Buffer.from([0xff, 0xd8, 0x0d, 0x0a, 0x00, 0xff, 0xd9]),
      Buffer.from(`\r\n--${b}--\r\n`),
    ]);
    const res = await fetch(`${fake.apiRoot}/bot${TOKEN}/sendPhoto`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${b}` },
      body,
    });
    expect(res.status).toBe(200);
    const recorded = await fake.waitForCall('sendPhoto');
    expect(recorded.params).toMatchObject({ chat_id: '42', caption: 'cam', photo: 'attach://abc123' });
    expect(recorded.files).toEqual([{ field: 'photo', filename: 'snap.jpg', data: Buffer.from([0xff, 0xd8, 0x0d, 0x0a, 0x00, 0xff, 0xd9]) }]);

    const long = await call(fake, 'sendPhoto', { chat_id: 1, photo: 'file-id', caption: 'c'.repeat(1025) });
    expect(long.json.description).toBe('Bad Request: message caption is too long');
  });
});
