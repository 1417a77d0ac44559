/**
 * Finding executables. Policy decisions are made on the realpath, so a symlink or a PATH entry
 * cannot make an allowlisted name point somewhere else, and on the name the binary is invoked as,
 * because a multi-call binary (busybox) is whatever program that name says.
 */
import { accessSync, constants, promises as fs, statSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';
import { safeText } from '@tether/protocol';

/** OpenClaw's fallback when PATH is empty or unset. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The PATH to search and hand to children: the given one, else the process's, else the default. */
export function effectivePath(pathEnv?: string): string {
  const value = pathEnv ?? process.env.PATH;
  return value !== undefined && value.trim() !== '' ? value : DEFAULT_PATH;
}

/**
 * True for a regular file (after following symlinks) that this process may execute. Synchronous on
 * purpose: a PATH search is a handful of local stats, mostly misses, and the async versions cost a
 * thread-pool round trip plus a thrown ENOENT each (60 % of the node's CPU under invoke load).
 */
export async function isExecutableFile(path: string): Promise<boolean> {
  let stat;
  try {
    stat = statSync(path, { throwIfNoEntry: false });
  } catch {
    // A PATH folder this user may not search (EACCES), or a dangling loop (ELOOP): not here, look on.
    return false;
  }
  if (!stat?.isFile()) return false;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable regular file called `name` on `pathValue`, as found (not yet realpath'd). */
export async function searchPath(name: string, pathValue: string): Promise<string | undefined> {
  for (const dir of pathValue.split(delimiter)) {
    // An empty or relative PATH entry would search the caller's cwd; never do that.
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export type ResolvedExecutable =
  | {
      ok: true;
      /** The realpath: the file that will run. */
      path: string;
      /** Where it was found before following symlinks: the PATH hit, or the path as given made absolute and normalised. */
      foundAt: string;
      /** basename(foundAt): the program name it is invoked as, and the argv[0] a run passes. */
      name: string;
    }
  | { ok: false; reason: 'not-found' | 'not-executable'; message: string };

/**
 * Resolves a bare name on PATH, or a path containing '/' against `cwd`, to the realpath of an
 * executable regular file. `path.resolve` normalises `a/../sh` to `sh` without touching the disk;
 * that is safe because the realpath of that normalised path is what runs, and its name is `sh`.
 */
export async function resolveExecutable(nameOrPath: string, options: { pathEnv?: string; cwd?: string } = {}): Promise<ResolvedExecutable> {
  const pathValue = effectivePath(options.pathEnv);
  let found: string;
  if (nameOrPath.includes('/')) {
    found = resolve(options.cwd ?? process.cwd(), nameOrPath);
  } else {
    const hit = await searchPath(nameOrPath, pathValue);
    if (!hit) return { ok: false, reason: 'not-found', message: `command not found: ${safeText(nameOrPath)} (searched PATH ${safeText(pathValue)})` };
    found = hit;
  }
  let real: string;
  try {
    real = await fs.realpath(found);
  } catch {
    return { ok: false, reason: 'not-found', message: `command not found: ${safeText(nameOrPath)} (no such file: ${safeText(found)})` };
  }
  if (!(await isExecutableFile(real))) {
    return { ok: false, reason: 'not-executable', message: `${safeText(nameOrPath)} is not an executable file (${safeText(real)}); check its type and permissions` };
  }
  return { ok: true, path: real, foundAt: found, name: basename(found) };
}
