/**
 * Telegram's webhook mode with real processes: the gateway sets the webhook (https URL and a secret
 * token from the environment) on the fake Bot API, which then posts updates to the gateway's
 * POST /channels/telegram/webhook (standing in for the reverse proxy behind the public URL). A stranger
 * is answered with a pairing code through it; a delivery without the exact secret, or not JSON, or too
 * large, reaches nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from './helpers/fake-telegram.js';
import { cleanup, eventually, runTether, runTetherJson, spawnTether, tempDir, type GatewayProcess } from './helpers/processes.js';
import { startScriptedModel, type ScriptedModel } from './helpers/scripted-model.js';

const TOKEN = '314159:HOOK-token-not-real';
const SECRET = 'hook-secret-0123456789abcdef';
let telegram: FakeTelegram;
let model: ScriptedModel;
let gateway: GatewayProcess;
let hook: string;

beforeAll(async () => {
  telegram = await startFakeTelegram({ token: TOKEN });
  model = await startScriptedModel();
  const stateDir = tempDir('tether-tg-hook-');
  writeFileSync(
    join(stateDir, 'tether.json'),
    JSON.stringify({
      agent: { model: 'scripted-model', baseUrl: model.url },
      channels: { telegram: { botToken: TOKEN, apiRoot: telegram.apiRoot, webhook: { url: 'https://bot.example.test/channels/telegram/webhook', secretToken: '${TG_HOOK_SECRET}' } } },
    }),
  );
  const spawned = spawnTether(['gateway', 'run', '--port', '0', '--state-dir', stateDir], { TG_HOOK_SECRET: SECRET });
  const match = await spawned.waitFor(/\{"event":"listening","url":"([^"]+)","port":(\d+)/);
  gateway = { ...spawned, url: match[1]!, port: Number(match[2]), stateDir };
  hook = `http://127.0.0.1:${gateway.port}/channels/telegram/webhook`;
  await eventually(async () => telegram.webhook(), 15_000);
  telegram.forwardWebhookTo(hook);
}, 30_000);
afterAll(async () => {
  await cleanup();
  await model?.close();
  await telegram?.close();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(async (r) => ({ status: r.status, body: await r.text() }));

describe('Telegram webhook mode', () => {
  it('sets the webhook with the secret, is connected, and a stranger is answered through it', async () => {
    expect(telegram.webhook()).toEqual({ url: 'https://bot.example.test/channels/telegram/webhook', secretToken: SECRET });
    const { channels } = await runTetherJson<{ channels: { name: string; state: string }[] }>(['channels', 'status', '--state-dir', gateway.stateDir]);
    expect(channels).toEqual([expect.objectContaining({ name: 'telegram', state: 'connected' })]);
    telegram.queueMessage({ chatId: 777, chatType: 'private', fromId: 777, text: 'hi' });
    const reply = await telegram.waitForCall('sendMessage', (call) => Number(call.params.chat_id) === 777);
    expect(String(reply.params.text)).toMatch(/pairing code is [A-Z0-9]{8}/);
    expect(telegram.calls.some((c) => c.method === 'getUpdates')).toBe(false);
    expect(model.requests).toHaveLength(0);
    expect(gateway.output()).not.toContain(SECRET);
  }, 30_000);

  it('refuses deliveries without the exact secret, not JSON, or too large; nothing reaches the chat layer', async () => {
    const update = JSON.stringify({ update_id: 990, message: { message_id: 1, date: 1, chat: { id: 888, type: 'private' }, from: { id: 888, is_bot: false, first_name: 'M' }, text: 'forged' } });
    expect((await post(update)).status).toBe(401);
    expect((await post(update, { 'x-telegram-bot-api-secret-token': `${SECRET}x` })).status).toBe(401);
    expect((await post(update, { 'x-telegram-bot-api-secret-token': SECRET.slice(0, -1) })).status).toBe(401);
    expect((await post('{"update_id": "1"}', { 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(400);
    expect((await fetch(hook, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-telegram-bot-api-secret-token': SECRET }, body: update })).status).toBe(415);
    expect((await post(`{"update_id":1,"pad":"${'x'.repeat(1024 * 1024)}"}`, { 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(413);
    expect((await post(update, { 'x-telegram-bot-api-secret-token': SECRET, origin: 'https://evil.example' })).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${gateway.port}/channels/slack/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
    expect(telegram.calls.some((c) => c.method === 'sendMessage' && Number(c.params.chat_id) === 888)).toBe(false);
    expect(gateway.output()).toContain('refused a webhook delivery without the right secret token');
  }, 30_000);

  it('refuses a webhook config Telegram would refuse: a plain http URL, or no usable secret', async () => {
    const stateDir = tempDir('tether-tg-hook-bad-');
    writeFileSync(join(stateDir, 'tether.json'), JSON.stringify({ channels: { telegram: { botToken: TOKEN, webhook: { url: 'http://bot.example.test/hook' } } } }));
    const plain = await runTether(['gateway', 'run', '--port', '0', '--state-dir', stateDir]);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/https:\/\//);
    writeFileSync(join(stateDir, 'tether.json'), JSON.stringify({ channels: { telegram: { botToken: TOKEN, webhook: { url: 'https://bot.example.test/hook', secretToken: 'short' } } } }));
    const weak = await runTether(['gateway', 'run', '--port', '0', '--state-dir', stateDir]);
    expect(weak.code).not.toBe(0);
    expect(weak.stderr).toMatch(/needs a secretToken of 16–256 characters/);
  }, 30_000);
});
