import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeSocketFactory, type FakeWhatsAppSocket } from '../../../../test/helpers/fake-whatsapp.js';
import { recordingLog } from '../../../../test/helpers/fake-whatsapp-agent.js';
import { loginWhatsApp, logoutWhatsApp, WhatsAppLoginError } from './whatsapp-login.js';

const BOT = { id: '4915100000001@s.whatsapp.net', lid: '99000000000001@lid' };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const authDirIn = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tether-wa-login-'));
  dirs.push(dir);
  return join(dir, 'channels', 'whatsapp', 'auth');
};
const writeCreds = (authDir: string, me = { id: '4915100000001:7@s.whatsapp.net', lid: '99000000000001:7@lid' }) => writeFileSync(join(authDir, 'creds.json'), JSON.stringify({ me }));

/** Scripts each socket the login makes: the n-th socket runs steps[n] once the login listens. */
function scripted(authDir: string, steps: ((socket: FakeWhatsAppSocket) => void)[]) {
  let made = 0;
  return fakeSocketFactory(BOT, {
    onSocket: (socket) => {
      const step = steps[made++];
      if (step) setImmediate(() => step(socket));
    },
    // What Baileys' saveCreds does once the phone has scanned: the account lands in creds.json.
    onSave: () => writeCreds(authDir),
  });
}

describe('loginWhatsApp', () => {
  it('shows each QR, rides the 515 restart after the scan, and returns once open with the credentials saved', async () => {
    const authDir = authDirIn();
    const factory = scripted(authDir, [
      (s) => {
        s.qr('2@first,qr');
        s.qr('2@second,qr');
        s.emit('creds.update', { me: { id: BOT.id } });
        s.close(515, 'Stream Errored (restart required)');
      },
      (s) => s.open(),
    ]);
    const shown: string[] = [];
    const { log } = recordingLog();
    const result = await loginWhatsApp({ authDir, printQr: (qr) => void shown.push(qr), log, makeSocket: factory.makeSocket });
    expect(result).toEqual({ id: BOT.id, lid: BOT.lid, newLogin: true });
    expect(shown).toEqual(['2@first,qr', '2@second,qr']);
    expect(factory.sockets).toHaveLength(2);
    expect(factory.sockets.every((s) => s.ended)).toBe(true);
    expect(statSync(authDir).mode & 0o777).toBe(0o700);
  });

  it('with working credentials it opens without a QR', async () => {
    const authDir = authDirIn();
    const factory = scripted(authDir, [(s) => s.open()]);
    await loginWhatsApp({ authDir, printQr: () => {}, log: recordingLog().log, makeSocket: factory.makeSocket }).then((r) => expect(r.newLogin).toBe(false));
  });

  it('credentials the phone has unlinked (401) are cleared and a fresh QR is shown', async () => {
    const authDir = authDirIn();
    const factory = scripted(authDir, [
      (s) => {
        writeCreds(authDir, { id: '4915199999999:3@s.whatsapp.net', lid: '1111111111111:3@lid' });
        s.close(401, 'Connection Failure');
      },
      (s) => {
        expect(existsSync(join(authDir, 'creds.json'))).toBe(false);
        s.qr('2@fresh');
        s.emit('creds.update', {});
        s.close(515);
      },
      (s) => s.open(),
    ]);
    const shown: string[] = [];
    const result = await loginWhatsApp({ authDir, printQr: (qr) => void shown.push(qr), log: recordingLog().log, makeSocket: factory.makeSocket });
    expect(shown).toEqual(['2@fresh']);
    expect(result.id).toBe(BOT.id);
  });

  it('a refusal after the QR, or endless closes, end in a clear error', async () => {
    const authDir = authDirIn();
    const refused = scripted(authDir, [
      (s) => {
        s.qr('2@x');
        s.close(401);
      },
    ]);
    await expect(loginWhatsApp({ authDir, printQr: () => {}, log: recordingLog().log, makeSocket: refused.makeSocket })).rejects.toThrow(/refused the link/);
    const flaky = scripted(authDir, Array.from({ length: 10 }, () => (s: FakeWhatsAppSocket) => s.close(408, 'Connection was lost')));
    await expect(loginWhatsApp({ authDir, printQr: () => {}, log: recordingLog().log, makeSocket: flaky.makeSocket, maxRestarts: 2 })).rejects.toThrow(WhatsAppLoginError);
    expect(flaky.sockets).toHaveLength(3);
  });

  it('a printQr that throws does not break the login', async () => {
    const authDir = authDirIn();
    const factory = scripted(authDir, [
      (s) => {
        s.qr('2@x');
        s.emit('creds.update', {});
        s.open();
      },
    ]);
    const { log, lines } = recordingLog();
    const result = await loginWhatsApp({ authDir, printQr: () => Promise.reject(new Error('no tty')), log, makeSocket: factory.makeSocket });
    expect(result.newLogin).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.join('\n')).toContain('showing the QR code failed: no tty');
  });
});

describe('logoutWhatsApp', () => {
  it('removes the auth folder, saying whether an account was linked', async () => {
    const authDir = authDirIn();
    const factory = scripted(authDir, [(s) => s.open()]);
    writeCredsAfterMkdir(authDir);
    await loginWhatsApp({ authDir, printQr: () => {}, log: recordingLog().log, makeSocket: factory.makeSocket });
    expect(await logoutWhatsApp({ authDir })).toEqual({ removed: true });
    expect(existsSync(authDir)).toBe(false);
    expect(await logoutWhatsApp({ authDir })).toEqual({ removed: false });
  });

  it('deletes only what Baileys keeps: an authDir pointed at a folder with other files keeps them', async () => {
    const authDir = authDirIn();
    mkdirSync(authDir, { recursive: true });
    for (const name of ['creds.json', 'pre-key-1.json', 'session-4915.json', 'app-state-sync-key-AAA.json']) writeFileSync(join(authDir, name), '{}');
    for (const name of ['gateway.token', 'state.json', 'cli-tls-pins.json', 'tether.json']) writeFileSync(join(authDir, name), 'keep');
    mkdirSync(join(authDir, 'pairing'));
    await logoutWhatsApp({ authDir });
    expect(readdirSync(authDir).sort()).toEqual(['cli-tls-pins.json', 'gateway.token', 'pairing', 'state.json', 'tether.json']);
  });
});

function writeCredsAfterMkdir(authDir: string) {
  rmSync(authDir, { recursive: true, force: true });
  mkdirSync(authDir, { recursive: true });
  writeCreds(authDir);
}
