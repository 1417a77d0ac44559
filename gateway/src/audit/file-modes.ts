/**
 * Group- or world-accessible entries in the state dir. Everything the gateway keeps there is private
 * (the shared token, device keys, the pairing store, TLS key, channel credentials, transcripts, media),
 * so the rule is simple: directories 0700, files 0600, nothing with a group or other bit.
 */
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface LooseEntry {
  path: string;
  /** Relative to the state dir, for messages. */
  name: string;
  kind: 'file' | 'dir';
  mode: number;
  /** The mode doctor --fix sets. */
  wanted: number;
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
      if (mode & 0o077) loose.push({ path, name: relative(stateDir, path) || '.', kind: 'dir', mode, wanted: 0o700 });
      let names: string[];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const name of names.sort()) visit(join(path, name));
    } else if (stat.isFile() && mode & 0o077) {
      loose.push({ path, name: relative(stateDir, path), kind: 'file', mode, wanted: mode & 0o700 ? (mode & 0o700) : 0o600 });
    }
  };
  visit(stateDir);
  return loose;
}

/** chmods each entry to its wanted mode; returns the ones it could not change, with why. */
export function fixLooseEntries(entries: readonly LooseEntry[]): { entry: LooseEntry; error: string }[] {
  const failed: { entry: LooseEntry; error: string }[] = [];
  for (const entry of entries) {
    try {
      chmodSync(entry.path, entry.wanted);
    } catch (error) {
      failed.push({ entry, error: (error as Error).message });
    }
  }
  return failed;
}

export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
