/** The auth folder with Baileys' real useMultiFileAuthState: 0700, every file 0600, whatever the umask. */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baileysLogger, openPrivateAuthState, readLinkedAccount } from './whatsapp-socket.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tether-wa-auth-'));
  dirs.push(dir);
  return dir;
};
const mode = (path: string) => statSync(path).mode & 0o777;

describe('WhatsApp auth folder', () => {
  it('creates the folder 0700 and keeps creds and key files 0600 under a permissive umask', async () => {
    const { useMultiFileAuthState } = await import('baileys');
    const authDir = join(temp(), 'channels', 'whatsapp', 'auth');
    const previous = process.umask(0o000);
    try {
      const auth = await openPrivateAuthState(authDir, useMultiFileAuthState as never);
      expect(mode(authDir)).toBe(0o700);
      await auth.saveCreds();
      await auth.state.keys.set({ 'pre-key': { '1': { public: Buffer.alloc(32, 1), private: Buffer.alloc(32, 2) } }, session: { '4915112345678.0': Buffer.from('session') } } as never);
      const files = readdirSync(authDir);
      expect(files).toEqual(expect.arrayContaining(['creds.json', 'pre-key-1.json', 'session-4915112345678.0.json']));
      for (const file of files) expect(mode(join(authDir, file)), file).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('tightens a folder and files someone left open, and reads the linked account', async () => {
    const { useMultiFileAuthState } = await import('baileys');
    const authDir = join(temp(), 'auth');
    mkdirSync(authDir, { mode: 0o755 });
    chmodSync(authDir, 0o755);
    writeFileSync(join(authDir, 'creds.json'), JSON.stringify({ me: { id: '4915100000001:7@s.whatsapp.net', lid: '99000000000001:7@lid' } }), { mode: 0o644 });
    await openPrivateAuthState(authDir, useMultiFileAuthState as never);
    expect(mode(authDir)).toBe(0o700);
    expect(mode(join(authDir, 'creds.json'))).toBe(0o600);
    expect(await readLinkedAccount(authDir)).toEqual({ id: '4915100000001@s.whatsapp.net', lid: '99000000000001@lid' });
  });

  it('a missing, empty or hostile creds.json is "not linked", not a crash', async () => {
    const authDir = temp();
    expect(await readLinkedAccount(authDir)).toBeUndefined();
    for (const body of ['', 'null', '{"me":null}', '{"me":{"id":7}}', '{"me":{"id":"../../x@s.whatsapp.net"}}', '[]']) {
      writeFileSync(join(authDir, 'creds.json'), body);
      expect(await readLinkedAccount(authDir), body).toBeUndefined();
    }
  });

  it("Baileys' log lines keep only the message: objects that may hold keys or text are dropped", () => {
    const lines: string[] = [];
    const log = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const logger = baileysLogger(log);
    logger.error({ creds: { noiseKey: 'SECRET-KEY' }, err: new Error('Bad MAC') }, 'failed to decrypt message');
    logger.warn({ message: { conversation: 'private text' } }, 'unexpected\u001b[2J');
    logger.info({ creds: 'SECRET-KEY' }, 'connected');
    logger.child({ class: 'x' }).debug('noise');
    expect(lines).toEqual(['whatsapp: baileys: failed to decrypt message: Bad MAC', 'whatsapp: baileys: unexpected\\x1b[2J']);
  });
});
