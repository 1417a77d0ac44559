/**
 * `tether channels login|logout|list` with real processes: a Telegram token piped into `channels login`
 * is stored 0600 in the state dir (never in argv or the config), a gateway whose tether.json names only
 * the channel connects with it, and `logout` removes it so the next start fails naming both fixes.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from './helpers/fake-telegram.js';
import { cleanup, eventually, runTether, runTetherJson, spawnTether, startGatewayProcess, tempDir } from './helpers/processes.js';

const TOKEN = '555000:LOGIN-token-not-real';
let telegram: FakeTelegram;

beforeAll(async () => {
  telegram = await startFakeTelegram({ token: TOKEN });
});
afterAll(async () => {
  await cleanup();
  await telegram?.close();
});

describe('tether channels login / logout', () => {
  it('stores a piped token, the gateway connects with it, and logout forgets it', async () => {
    const stateDir = tempDir('tether-login-');
    writeFileSync(join(stateDir, 'tether.json'), JSON.stringify({ channels: { telegram: { apiRoot: telegram.apiRoot } } }));
    const login = await runTether(['channels', 'login', 'telegram', '--state-dir', stateDir], {}, 20_000, `${TOKEN}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('Stored botToken for telegram');
    expect(login.stdout + login.stderr).not.toContain(TOKEN);
    const stored = join(stateDir, 'channels', 'credentials', 'telegram.botToken');
    expect(statSync(stored).mode & 0o777).toBe(0o600);

    const gateway = await startGatewayProcess({ stateDir });
    await eventually(async () => {
      const { channels } = await runTetherJson<{ channels: { name: string; state: string }[] }>(['channels', 'status', '--state-dir', stateDir]);
      return channels.find((c) => c.state === 'connected');
    }, 15_000, 250);
    expect(telegram.calls.some((c) => c.method === 'getUpdates')).toBe(true);
    gateway.child.kill('SIGTERM');
    await gateway.exited;

    const logout = await runTether(['channels', 'logout', 'telegram', '--state-dir', stateDir]);
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stdout).toContain(`Removed for telegram: ${stored}.`);
    const refused = await runTether(['gateway', 'run', '--port', '0', '--state-dir', stateDir]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/channels\.telegram\.botToken is not set: put it in tether\.json .* or store it with `tether channels login telegram`/);
  }, 60_000);

  it('`tether up` names the configured chat channels and where to see their state', async () => {
    const stateDir = tempDir('tether-login-up-');
    writeFileSync(join(stateDir, 'tether.json'), JSON.stringify({ channels: { telegram: { botToken: TOKEN, apiRoot: telegram.apiRoot } } }));
    const up = spawnTether(['up', '--port', '0', '--state-dir', stateDir, '--display-name', 'up-box']);
    await up.waitFor(/Press Ctrl\+C to stop/, 20_000);
    expect(up.output()).toMatch(/Chat channels: telegram (starting|connected) \(npx tether channels status --state-dir /);
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
  }, 40_000);

  it('refuses an unknown channel and an empty token, storing nothing', async () => {
    const stateDir = tempDir('tether-login-bad-');
    const unknown = await runTether(['channels', 'login', 'myspace', '--state-dir', stateDir], {}, 20_000, 'x\n');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown channel "myspace": one of telegram/);
    const empty = await runTether(['channels', 'login', 'telegram', '--state-dir', stateDir], {}, 20_000, '\n');
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toMatch(/no botToken given for telegram/);
    const list = await runTetherJson<{ channels: { name: string; configured: boolean }[] }>(['channels', 'list', '--state-dir', stateDir]);
    expect(list.channels.find((c) => c.name === 'telegram')?.configured).toBe(false);
  });

  it('whatsapp: login says why it could not link, and logout removes the linked device\'s keys', async () => {
    const stateDir = tempDir('tether-login-wa-');
    // A port nothing listens on: WhatsApp Web cannot be reached.
    writeFileSync(join(stateDir, 'tether.json'), JSON.stringify({ channels: { whatsapp: { wsUrl: 'ws://127.0.0.1:9/ws/chat' } } }));
    const login = await runTether(['channels', 'login', 'whatsapp', '--state-dir', stateDir], {}, 60_000);
    expect(login.code).not.toBe(0);
    expect(login.stderr).toMatch(/WhatsApp login failed: connection closed/);

    const { initAuthCreds, BufferJSON } = await import('baileys');
    const authDir = join(stateDir, 'channels', 'whatsapp', 'auth');
    mkdirSync(authDir, { recursive: true, mode: 0o700 });
    const creds = { ...initAuthCreds(), me: { id: '4915100000001:7@s.whatsapp.net', name: 'Tether' }, registered: true };
    writeFileSync(join(authDir, 'creds.json'), JSON.stringify(creds, BufferJSON.replacer), { mode: 0o600 });
    const logout = await runTether(['channels', 'logout', 'whatsapp', '--state-dir', stateDir]);
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stdout).toContain(`Removed for whatsapp: ${authDir}.`);
    expect(existsSync(authDir)).toBe(false);
  }, 90_000);
});
