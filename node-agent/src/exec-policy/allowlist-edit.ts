/**
 * The owner's edits of the allowlist (`tether node allow|disallow`, `tether up`'s starter list) and
 * the node's own edit after an operator's allow-always. The merge rules are pure (`withEntry`,
 * `withoutEntries`); the file functions read, apply one rule and write atomically.
 */
import { basename } from 'node:path';
import { shellQuote } from '@tether/protocol';
import { describeArgsProblem, sameArgs, sameVector, type AllowedArgs, type AllowlistEntry } from './allowlist-entry.js';
import { ExecPolicyError, ExecPolicyErrorCode } from './errors.js';
import { readExecPolicy, writeExecPolicy } from './policy-file.js';
import { resolveExecutable } from './resolve.js';

/**
 * What an allow did: `added` a new entry; `extended` an exact entry with more vectors; `widened` the
 * name to every argument, replacing its restricted entries; `unchanged` because it was allowed already.
 */
export type AllowChange = 'added' | 'extended' | 'widened' | 'unchanged';

export interface AllowResult {
  /** The entry that now allows the binary under this name (after merging). */
  entry: AllowlistEntry;
  change: AllowChange;
}

/**
 * `allowlist` with `entry` added. An entry without `args` allows everything, so it replaces the
 * name's restricted entries; an exact restriction joins an existing exact entry for the same binary
 * and name. A restriction for a name that is already unrestricted is refused: it would restrict
 * nothing, and the owner should know that.
 */
export function withEntry(allowlist: readonly AllowlistEntry[], entry: AllowlistEntry): { allowlist: AllowlistEntry[]; result: AllowResult } {
  const isSame = (other: AllowlistEntry): boolean => other.path === entry.path && other.name === entry.name;
  const same = allowlist.filter(isSame);
  const unrestricted = same.find((other) => other.args === undefined);
  if (entry.args === undefined) {
    if (unrestricted) return { allowlist: [...allowlist], result: { entry: unrestricted, change: 'unchanged' } };
    const kept = allowlist.filter((other) => !isSame(other));
    return { allowlist: [...kept, entry], result: { entry, change: same.length > 0 ? 'widened' : 'added' } };
  }
  if (unrestricted) {
    throw new ExecPolicyError(
      ExecPolicyErrorCode.ALREADY_UNRESTRICTED,
      `${shellQuote(entry.name)} (${shellQuote(entry.path)}) is already allowed with every argument, so a restriction would change nothing. ` +
        `To restrict it, first run: tether node disallow ${shellQuote(entry.name)}, then this command again`,
    );
  }
  const identical = same.find((other) => sameArgs(other.args, entry.args));
  if (identical) return { allowlist: [...allowlist], result: { entry: identical, change: 'unchanged' } };
  const { args } = entry;
  const exactEntry = 'exact' in args ? same.find((other) => other.args !== undefined && 'exact' in other.args) : undefined;
  if ('exact' in args && exactEntry?.args && 'exact' in exactEntry.args) {
    const known = exactEntry.args.exact;
    const added = args.exact.filter((vector) => !known.some((k) => sameVector(k, vector)));
    if (added.length === 0) return { allowlist: [...allowlist], result: { entry: exactEntry, change: 'unchanged' } };
    const merged: AllowlistEntry = { ...exactEntry, args: { exact: [...known, ...added] } };
    return { allowlist: allowlist.map((other) => (other === exactEntry ? merged : other)), result: { entry: merged, change: 'extended' } };
  }
  return { allowlist: [...allowlist, entry], result: { entry, change: 'added' } };
}

/**
 * Adds a binary to the allowlist: a bare name is looked up on PATH, a path is resolved against the
 * current directory; the entry binds the realpath to the name as written (its basename), which is
 * the only name it may then be run as. Without `args` it allows every argument.
 */
export async function allowBinary(
  stateDir: string,
  pathOrName: string,
  options: { pathEnv?: string; args?: AllowedArgs } = {},
): Promise<AllowResult> {
  if (pathOrName.trim() === '') {
    throw new ExecPolicyError(ExecPolicyErrorCode.INVALID_SETTING, 'allowBinary: give a binary name (e.g. uname) or a path (e.g. /usr/bin/uname)');
  }
  if (options.args !== undefined) {
    const problem = describeArgsProblem(options.args, 'args');
    if (problem) throw new ExecPolicyError(ExecPolicyErrorCode.INVALID_SETTING, `cannot allow ${shellQuote(pathOrName)}: ${problem}`);
  }
  const resolved = await resolveExecutable(pathOrName, options.pathEnv !== undefined ? { pathEnv: options.pathEnv } : {});
  if (!resolved.ok) throw new ExecPolicyError(ExecPolicyErrorCode.BINARY_NOT_FOUND, `cannot allow ${shellQuote(pathOrName)}: ${resolved.message}`);
  const entry: AllowlistEntry = { path: resolved.path, name: resolved.name, ...(options.args ? { args: options.args } : {}) };
  return addAllowlistEntry(stateDir, entry);
}

/** Adds an already resolved entry (the node's allow-always: the binary and the name the operator approved). */
export async function addAllowlistEntry(stateDir: string, entry: AllowlistEntry): Promise<AllowResult> {
  const policy = readExecPolicy(stateDir);
  const next = withEntry(policy.allowlist, entry);
  if (next.result.change !== 'unchanged') await writeExecPolicy(stateDir, { ...policy, allowlist: next.allowlist });
  return next.result;
}

/**
 * Removes every entry for a binary under one name. A name or path that still resolves removes the
 * entries for that realpath and name; one that no longer resolves (the program was uninstalled)
 * removes the entries with that name. Returns what was removed; throws when nothing matched.
 */
export async function disallowBinary(stateDir: string, pathOrName: string, options: { pathEnv?: string } = {}): Promise<AllowlistEntry[]> {
  const resolved = await resolveExecutable(pathOrName, options.pathEnv !== undefined ? { pathEnv: options.pathEnv } : {});
  const name = resolved.ok ? resolved.name : basename(pathOrName);
  const matches = (entry: AllowlistEntry): boolean => entry.name === name && (!resolved.ok || entry.path === resolved.path);
  const policy = readExecPolicy(stateDir);
  const removed = policy.allowlist.filter(matches);
  if (removed.length === 0) {
    const what = resolved.ok ? `${shellQuote(name)} (${shellQuote(resolved.path)})` : shellQuote(name);
    throw new ExecPolicyError(ExecPolicyErrorCode.NOT_ON_ALLOWLIST, `nothing to remove: no allowlist entry allows ${what}; tether node policy lists the entries`);
  }
  await writeExecPolicy(stateDir, { ...policy, allowlist: policy.allowlist.filter((entry) => !matches(entry)) });
  return removed;
}
