/**
 * Writes tether.json the only safe way: a temp file beside it (same mode, 0600 when new), fsync,
 * rename over, fsync of the directory. The previous content goes to `tether.json.bak` first (one
 * generation, written the same way), so a bad edit is one `cp` away from undone.
 */
import { closeSync, constants, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync, readFileSync, lstatSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface WriteFs {
  rename(from: string, to: string): void;
}

const realFs: WriteFs = { rename: renameSync };

export function backupPathOf(path: string): string {
  return `${path}.bak`;
}

function writeAtomic(path: string, data: string, mode: number, fs: WriteFs): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // O_EXCL: never write through a file (or symlink) someone placed at the temp name.
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    fs.rename(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw error;
  }
  try {
    const dirFd = openSync(dirname(path), constants.O_RDONLY);
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some filesystems refuse a directory fsync; the rename has still happened.
  }
}

export interface WriteResult {
  /** Where the previous content was kept, when there was a previous file. */
  backupPath?: string;
}

/** Replaces `path` with `data` atomically, keeping the old content in `<path>.bak`. */
export function writeConfigAtomic(path: string, data: string, fs: WriteFs = realFs): WriteResult {
  let mode = 0o600;
  let previous: string | undefined;
  try {
    const stat = lstatSync(path);
    // A symlinked tether.json would make the rename replace the link, not the file it points at: refuse.
    if (stat.isSymbolicLink()) throw Object.assign(new Error(`${path} is a symlink; edit the file it points at, or replace the link with the file`), { code: 'CONFIG_SYMLINK' });
    mode = statSync(path).mode & 0o777;
    previous = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (previous === undefined) {
    writeAtomic(path, data, mode, fs);
    return {};
  }
  const backupPath = backupPathOf(path);
  writeAtomic(backupPath, previous, mode, fs);
  writeAtomic(path, data, mode, fs);
  return { backupPath };
}
