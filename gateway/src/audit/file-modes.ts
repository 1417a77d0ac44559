/**
 * Group- or world-accessible entries in the state dir. Everything the gateway keeps there is private
 * (the shared token, device keys, the pairing store, TLS key, channel credentials, transcripts, media),
 * so the rule is simple: directories 0700, files 0600, nothing with a group or other bit.
 */
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';

export interface LooseEntry {
  path: string;
  /** Relative to the state dir, for messages. */
  name: string;
  kind: 'file' | 'dir';
  mode: number;
  /** The mode doctor --fix sets. */
  wanted: number;
  /** What was checked: --fix changes only this very file (not whatever the path names by then). */
  dev: number;
  ino: number;
}

/** Bounds the walk: a state dir with a huge media folder must not make doctor crawl for minutes. */
const MAX_ENTRIES = 20_000;

export function findLooseEntries(stateDir: string): LooseEntry[] {
  const loose: LooseEntry[] = [];
  let seen = 0;
  const visit = (path: string): void => {
    if (++seen > MAX_ENTRIES) return;
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      return;
    }
    // A symlink's own mode means nothing, and following it could leave the state dir.
    if (stat.isSymbolicLink()) return;
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      if (mode & 0o077) loose.push({ path, name: relative(stateDir, path) || '.', kind: 'dir', mode, wanted: 0o700, dev: stat.dev, ino: stat.ino });
      let names: string[];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const name of names.sort()) visit(join(path, name));
    } else if (stat.isFile() && mode & 0o077) {
      loose.push({ path, name: relative(stateDir, path), kind: 'file', mode, wanted: mode & 0o700 ? (mode & 0o700) : 0o600, dev: stat.dev, ino: stat.ino });
    }
  };
  visit(stateDir);
  return loose;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Where an open descriptor really is (Linux: /proc/self/fd), else undefined. */
function openedPath(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * chmods each entry to its wanted mode through a descriptor, so a path swapped for a symlink after the
 * walk (by anyone who can write into a loose directory) cannot make --fix change a file outside the
 * state dir: the final component is opened with O_NOFOLLOW, the open file must be the one the walk
 * checked (device and inode), and where it really is must be inside the state dir. Returns the
 * entries it did not change, with why.
 */
export function fixLooseEntries(entries: readonly LooseEntry[], stateDir: string): { entry: LooseEntry; error: string }[] {
  const root = realpathSync(stateDir);
  const failed: { entry: LooseEntry; error: string }[] = [];
  for (const entry of entries) {
    let fd: number | undefined;
    try {
      fd = openSync(entry.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | (entry.kind === 'dir' ? constants.O_DIRECTORY : 0));
      const stat = fstatSync(fd);
      if (stat.dev !== entry.dev || stat.ino !== entry.ino) throw new Error('it changed since it was checked; run doctor again');
      const where = openedPath(fd) ?? realpathSync(entry.path);
      if (!inside(root, where)) throw new Error(`it is outside the state dir now (${where}); not changed`);
      fchmodSync(fd, entry.wanted);
    } catch (error) {
      failed.push({ entry, error: (error as Error).message });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return failed;
}

export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
