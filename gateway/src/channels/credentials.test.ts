import { chmodSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialPath, readCredential, removeCredentials, writeCredential } from './credentials.js';
import { requiredChannelSecret } from './channel-definition.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tether-cred-'));
  dirs.push(dir);
  return dir;
};

describe('channel credentials in the state dir', () => {
  it('stores a secret 0600 in a 0700 folder and reads it back; the config wins over it', async () => {
    const dir = stateDir();
    const path = await writeCredential(dir, 'telegram', 'botToken', ' 123:ABC \n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'channels', 'credentials')).mode & 0o777).toBe(0o700);
    expect(readCredential(dir, 'telegram', 'botToken')).toBe('123:ABC');
    expect(requiredChannelSecret('telegram', {}, 'botToken', { env: {}, stateDir: dir })).toBe('123:ABC');
    expect(requiredChannelSecret('telegram', { botToken: '${TG}' }, 'botToken', { env: { TG: '9:ENV' }, stateDir: dir })).toBe('9:ENV');
    expect(removeCredentials(dir, 'telegram', ['botToken', 'appToken'])).toEqual([path]);
    expect(() => requiredChannelSecret('telegram', {}, 'botToken', { env: {}, stateDir: dir })).toThrow(/tether channels login telegram/);
  });

  it('refuses a file others can read, a symlink, and secrets with spaces or control characters', async () => {
    const dir = stateDir();
    const path = await writeCredential(dir, 'telegram', 'botToken', '123:ABC');
    chmodSync(path, 0o644);
    expect(() => readCredential(dir, 'telegram', 'botToken')).toThrow(/can be read by other users; run `chmod 600/);
    rmSync(path);
    const elsewhere = join(dir, 'elsewhere');
    writeFileSync(elsewhere, '123:ABC', { mode: 0o600 });
    symlinkSync(elsewhere, path);
    expect(() => readCredential(dir, 'telegram', 'botToken')).toThrow(/is a symlink/);
    rmSync(path);
    await writeCredential(dir, 'telegram', 'botToken', '123:ABC');
    chmodSync(join(dir, 'channels', 'credentials'), 0o777);
    expect(() => readCredential(dir, 'telegram', 'botToken')).toThrow(/can be written by other users; run `chmod 700/);
    chmodSync(join(dir, 'channels', 'credentials'), 0o700);
    await expect(writeCredential(dir, 'telegram', 'botToken', 'two words')).rejects.toThrow(/spaces or control characters/);
    await expect(writeCredential(dir, 'telegram', 'botToken', 'tok\u001b[2Jen')).rejects.toThrow(/control characters/);
    expect(() => credentialPath(dir, '../etc', 'passwd')).toThrow(RangeError);
    expect(() => credentialPath(dir, 'telegram', '../x')).toThrow(RangeError);
  });
});
