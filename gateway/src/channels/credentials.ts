/**
 * Channel secrets kept in the state dir instead of the config (`tether channels login <channel>`):
 * `<stateDir>/channels/credentials/<channel>.<key>`, one secret per file, 0600 in a 0700 folder,
 * written atomically. A file that others can read, a symlink, or anything that is not a plain file
 * is refused with the fix, never used: a token readable by another user is a leaked token.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '@tether/pairing';
import { ChannelsConfigError } from './channels-config-error.js';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const KEY = /^[A-Za-z][A-Za-z0-9]{0,31}$/;
const MAX_SECRET_BYTES = 4096;

export function credentialsDir(stateDir: string): string {
  return join(stateDir, 'channels', 'credentials');
}

export function credentialPath(stateDir: string, channel: string, key: string): string {
  if (!NAME.test(channel) || !KEY.test(key)) throw new RangeError(`not a channel credential name: ${channel}.${key}`);
  return join(credentialsDir(stateDir), `${channel}.${key}`);
}

/**
 * The stored secret, or undefined when there is none; throws ChannelsConfigError when the file is
 * unsafe. Opened without following a symlink and checked on the open descriptor (a plain file of
 * ours, 0600), in a folder nobody else can write: nothing can be swapped in between check and read.
 */
export function readCredential(stateDir: string, channel: string, key: string): string | undefined {
  const path = credentialPath(stateDir, channel, key);
  const dir = credentialsDir(stateDir);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new ChannelsConfigError(`${path} is a symlink; remove it and run \`tether channels login ${channel}\` again`);
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ChannelsConfigError(`${path} is not a plain file; remove it and run \`tether channels login ${channel}\` again`);
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) throw new ChannelsConfigError(`${path} belongs to another user; remove it and run \`tether channels login ${channel}\` as the gateway's user`);
    if ((stat.mode & 0o077) !== 0) throw new ChannelsConfigError(`${path} can be read by other users; run \`chmod 600 ${path}\` (and consider the token leaked: make a new one)`);
    if ((statSync(dir).mode & 0o022) !== 0) throw new ChannelsConfigError(`${dir} can be written by other users; run \`chmod 700 ${dir}\``);
    if (stat.size > MAX_SECRET_BYTES) throw new ChannelsConfigError(`${path} is larger than a token can be; run \`tether channels login ${channel}\` again`);
    const value = readFileSync(fd, 'utf8').trim();
    return value === '' ? undefined : value;
  } finally {
    closeSync(fd);
  }
}

export async function writeCredential(stateDir: string, channel: string, key: string, value: string): Promise<string> {
  const secret = value.trim();
  if (secret === '' || /[\s\u0000-\u001f\u007f]/.test(secret)) throw new ChannelsConfigError(`the ${key} for ${channel} is empty or has spaces or control characters in it; paste it again`);
  if (Buffer.byteLength(secret) > MAX_SECRET_BYTES) throw new ChannelsConfigError(`the ${key} for ${channel} is longer than a token can be`);
  const path = credentialPath(stateDir, channel, key);
  ensurePrivateDir(credentialsDir(stateDir));
  await writeFileAtomic(path, `${secret}\n`, 0o600);
  return path;
}

/** Removes every stored secret of a channel; returns the files removed. */
export function removeCredentials(stateDir: string, channel: string, keys: readonly string[]): string[] {
  const removed: string[] = [];
  for (const key of keys) {
    const path = credentialPath(stateDir, channel, key);
    try {
      lstatSync(path);
    } catch {
      continue;
    }
    rmSync(path, { force: true });
    removed.push(path);
  }
  return removed;
}
