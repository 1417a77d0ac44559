/**
 * Channel secrets kept in the state dir instead of the config (`tether channels login <channel>`):
 * `<stateDir>/channels/credentials/<channel>.<key>`, one secret per file, 0600 in a 0700 folder,
 * written atomically. A file that others can read, a symlink, or anything that is not a plain file
 * is refused with the fix, never used: a token readable by another user is a leaked token.
 */
import { lstatSync, readFileSync, rmSync } from 'node:fs';
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

/** The stored secret, or undefined when there is none; throws ChannelsConfigError when the file is unsafe. */
export function readCredential(stateDir: string, channel: string, key: string): string | undefined {
  const path = credentialPath(stateDir, channel, key);
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!stat.isFile()) throw new ChannelsConfigError(`${path} is not a plain file (a symlink or a folder); remove it and run \`tether channels login ${channel}\` again`);
  if ((stat.mode & 0o077) !== 0) throw new ChannelsConfigError(`${path} can be read by other users; run \`chmod 600 ${path}\` (and consider the token leaked: make a new one)`);
  if (stat.size > MAX_SECRET_BYTES) throw new ChannelsConfigError(`${path} is larger than a token can be; run \`tether channels login ${channel}\` again`);
  const value = readFileSync(path, 'utf8').trim();
  return value === '' ? undefined : value;
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
