/**
 * `$include` in tether.json: `"$include": "agent.json5"` or a list, at any object, relative to the
 * file that says it. The included objects are merged deep in order, then the including object's own
 * keys on top (objects merge, everything else — arrays too — is replaced).
 *
 * Limits, because a config file may come from a template or a repository: every included file must
 * resolve (symlinks followed) inside the state dir, must be a regular file of at most 1 MiB, and a
 * chain deeper than 8 or a cycle is refused. `__proto__` keys are refused anywhere.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import JSON5 from 'json5';

export const INCLUDE_KEY = '$include';
export const MAX_INCLUDE_DEPTH = 8;
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/**
 * Includes in one load, counting each mention: a file listing another ten times, which lists another
 * ten times, … would otherwise make the (synchronous) reload read files exponentially often and freeze
 * the gateway (attacker's review of issue 12). Each file is also expanded once per load and reused.
 */
export const MAX_INCLUDES = 64;
/** Objects and lists nested deeper than this are refused (a deep document would overflow the stack). */
export const MAX_NESTING = 64;

export class ConfigDocumentError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigDocumentError';
  }
}

export interface LoadedDocument {
  /** The merged document, before `${ENV}` substitution and before the schema. */
  value: Record<string, unknown>;
  /** Every file read (real paths), the main file first: the watcher reloads when any changes. */
  files: string[];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parses JSON5 text, refusing `__proto__` keys (JSON5 would make them own properties; a merge must never see one). */
export function parseConfigText(text: string, file: string): unknown {
  let value: unknown;
  try {
    value = JSON5.parse(text);
  } catch (error) {
    throw new ConfigDocumentError(`${file} is not valid JSON5: ${(error as Error).message}. Fix the syntax or delete the file to use defaults.`);
  }
  assertNoProtoKeys(value, file, '');
  return value;
}

function assertNoProtoKeys(value: unknown, file: string, at: string, depth = 0): void {
  if (depth > MAX_NESTING) throw new ConfigDocumentError(`${file}: "${at.slice(0, 120)}…" nests deeper than ${MAX_NESTING} levels; a config file is never that deep`);
  if (Array.isArray(value)) return value.forEach((item, index) => assertNoProtoKeys(item, file, `${at}[${index}]`, depth + 1));
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    if (key === '__proto__') throw new ConfigDocumentError(`${file}: the key "${at ? `${at}.` : ''}__proto__" is not allowed in a config file; remove it`);
    assertNoProtoKeys(value[key], file, at ? `${at}.${key}` : key, depth + 1);
  }
}

/** Deep merge: `over` wins; objects merge, arrays and scalars replace. Never mutates its inputs. */
export function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of [...Object.entries(base), ...Object.entries(over)]) {
    const previous = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
    const merged = isPlainObject(previous) && isPlainObject(value) ? mergeDeep(previous, value) : value;
    Object.defineProperty(out, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Reads one file without following a trick: regular file only, bounded size, no blocking on a FIFO. */
function readBounded(path: string, shownAs: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigDocumentError(code === 'ENOENT' ? `${shownAs} does not exist` : `cannot read ${shownAs}: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ConfigDocumentError(`${shownAs} is not a regular file; an included config must be a plain file`);
    const tooBig = () => new ConfigDocumentError(`${shownAs} is over ${MAX_CONFIG_FILE_BYTES} bytes; a config file may be at most ${MAX_CONFIG_FILE_BYTES} bytes`);
    if (stat.size > MAX_CONFIG_FILE_BYTES) throw tooBig();
    // Read at most one byte past the limit: a file that grows after the fstat is still refused.
    const buffer = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1);
    let length = 0;
    for (let read = 1; read > 0 && length < buffer.length; length += read) read = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_CONFIG_FILE_BYTES) throw tooBig();
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

interface LoadState {
  root: string;
  files: string[];
  /** Includes followed so far in this load (each mention counts). */
  includes: number;
  /** Each included file, expanded, by real path: a file mentioned again is not read or expanded again. */
  expanded: Map<string, Record<string, unknown>>;
}

/**
 * Loads `mainPath` and its includes. `mainText` replaces the main file's content (a candidate being
 * validated before it is written). An absent main file is an empty document.
 */
export function loadConfigDocument(mainPath: string, mainText?: string): LoadedDocument {
  const root = realpathOr(dirname(mainPath));
  let text = mainText;
  if (text === undefined) {
    try {
      text = readBounded(mainPath, mainPath);
    } catch (error) {
      if (error instanceof ConfigDocumentError && /does not exist$/.test(error.message)) return { value: {}, files: [mainPath] };
      throw error;
    }
  }
  const state: LoadState = { root, files: [mainPath], includes: 0, expanded: new Map() };
  const value = parseConfigText(text, mainPath);
  if (!isPlainObject(value)) throw new ConfigDocumentError(`invalid configuration in ${mainPath}: the top level must be an object ({ … }). Edit the file to fix it, or delete it to use defaults.`);
  const mainReal = realpathOr(mainPath);
  return { value: expandIncludes(value, mainPath, [mainReal], state), files: state.files };
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function expandIncludes(value: Record<string, unknown>, file: string, chain: string[], state: LoadState, at = ''): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === INCLUDE_KEY) continue;
    const expanded = isPlainObject(item) ? expandIncludes(item, file, chain, state, at ? `${at}.${key}` : key) : item;
    Object.defineProperty(own, key, { value: expanded, enumerable: true, writable: true, configurable: true });
  }
  if (!Object.prototype.hasOwnProperty.call(value, INCLUDE_KEY)) return own;
  const where = `"${at ? `${at}.` : ''}${INCLUDE_KEY}" in ${file}`;
  const spec = value[INCLUDE_KEY];
  const targets = typeof spec === 'string' ? [spec] : Array.isArray(spec) && spec.every((s) => typeof s === 'string') ? (spec as string[]) : undefined;
  if (!targets || targets.some((t) => t.trim() === '')) throw new ConfigDocumentError(`${where} must be a file name or a list of file names, relative to that file`);
  if (new Set(targets).size !== targets.length) throw new ConfigDocumentError(`${where} names the same file twice; list each file once`);
  let merged: Record<string, unknown> = {};
  for (const target of targets) merged = mergeDeep(merged, loadIncluded(target, file, chain, state, where));
  return mergeDeep(merged, own);
}

function loadIncluded(target: string, from: string, chain: string[], state: LoadState, where: string): Record<string, unknown> {
  if (target.includes('\0')) throw new ConfigDocumentError(`${where}: "${target}" is not a file name`);
  if (++state.includes > MAX_INCLUDES) throw new ConfigDocumentError(`${where}: more than ${MAX_INCLUDES} includes in one configuration; include fewer files`);
  if (chain.length > MAX_INCLUDE_DEPTH) throw new ConfigDocumentError(`${where}: includes nest deeper than ${MAX_INCLUDE_DEPTH} files (${chain.join(' → ')}); flatten them`);
  const requested = resolve(dirname(from), target);
  // Checked twice: the path as written (no "../" out of the state dir) and the real file (no symlink out).
  if (!isInside(state.root, requested)) throw new ConfigDocumentError(`${where}: "${target}" is outside the state dir ${state.root}; included files must live in it`);
  let real: string;
  try {
    real = realpathSync(requested);
  } catch {
    throw new ConfigDocumentError(`${where}: "${target}" does not exist (looked for ${requested})`);
  }
  if (!isInside(state.root, real)) throw new ConfigDocumentError(`${where}: "${target}" resolves to ${real}, outside the state dir ${state.root}; a symlink may not lead out of it`);
  if (chain.includes(real)) throw new ConfigDocumentError(`${where}: "${target}" includes itself (${[...chain, real].join(' → ')}); remove the cycle`);
  // Expanded already (and so free of cycles): the same file says the same thing.
  const known = state.expanded.get(real);
  if (known) return known;
  const value = parseConfigText(readBounded(real, real), real);
  if (!isPlainObject(value)) throw new ConfigDocumentError(`${real} (included by ${where}) must hold an object ({ … })`);
  if (!state.files.includes(real)) state.files.push(real);
  const expanded = expandIncludes(value, real, [...chain, real], state);
  state.expanded.set(real, expanded);
  return expanded;
}
