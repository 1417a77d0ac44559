/**
 * One exec allowlist entry: a program name bound to the binary it resolves to, and optionally the
 * argument vectors it may run with. The name is needed as well as the binary because a multi-call
 * binary (busybox, toybox) is whichever program its argv[0] names: with the realpath alone, an entry
 * for `uname` on busybox also let `sh` run.
 */
import { basename } from 'node:path';
import { formatArgv } from '@tether/protocol';

/** Which arguments (command[1..]) an entry lets run. */
export type AllowedArgs =
  /** Only these argument vectors, each matched whole; `[[]]` is "no arguments only". */
  | { exact: string[][] }
  /** Any vector that starts with these arguments; whatever follows them is allowed too. */
  | { prefix: string[] };

export interface AllowlistEntry {
  /** Absolute realpath of the binary. */
  path: string;
  /**
   * The program name: the basename of command[0] (a name on PATH, or the last part of a path) must be
   * exactly this, and the spawn passes it as argv[0].
   */
  name: string;
  /** Missing: every argument is allowed. */
  args?: AllowedArgs;
}

/**
 * An entry as a policy file may hold it. A bare path is the format from before names existed; it
 * means `{path, name: basename(path)}`, which is safe on busybox because that name is "busybox".
 */
export type AllowlistEntryInput = AllowlistEntry | string;

export function normalizeEntry(input: AllowlistEntryInput): AllowlistEntry {
  if (typeof input === 'string') return { path: input, name: basename(input) };
  const entry: AllowlistEntry = { path: input.path, name: input.name };
  if (input.args) entry.args = copyArgs(input.args);
  return entry;
}

function copyArgs(args: AllowedArgs): AllowedArgs {
  return 'exact' in args ? { exact: args.exact.map((vector) => [...vector]) } : { prefix: [...args.prefix] };
}

/** True when `args` (command[1..]) may run under `allowed`; a missing restriction allows everything. */
export function argsAllowed(allowed: AllowedArgs | undefined, args: readonly string[]): boolean {
  if (allowed === undefined) return true;
  if ('exact' in allowed) return allowed.exact.some((vector) => sameVector(vector, args));
  return allowed.prefix.length <= args.length && allowed.prefix.every((arg, i) => args[i] === arg);
}

export function sameVector(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => b[i] === arg);
}

export function sameArgs(a: AllowedArgs | undefined, b: AllowedArgs | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if ('exact' in a && 'exact' in b) return a.exact.length === b.exact.length && a.exact.every((v, i) => sameVector(v, b.exact[i] ?? []));
  if ('prefix' in a && 'prefix' in b) return sameVector(a.prefix, b.prefix);
  return false;
}

/**
 * What an entry lets run, for people: "with every argument", "only with exactly: df | df -h",
 * "only with arguments starting: git status". Terminal-safe (formatArgv escapes control characters).
 */
export function describeAllowedArgs(entry: Pick<AllowlistEntry, 'name' | 'args'>): string {
  const { args } = entry;
  if (args === undefined) return 'with every argument';
  if ('exact' in args) return `only with exactly: ${args.exact.map((vector) => formatArgv([entry.name, ...vector])).join(' | ')}`;
  return `only with arguments starting: ${formatArgv([entry.name, ...args.prefix])} …`;
}

const NAME_FIX = 'the name command[0] must have, e.g. "uname"';

/** Why `value` is not a valid entry (`where` is e.g. `allowlist[2]`), or undefined when it is. */
export function describeEntryProblem(value: unknown, where: string): string | undefined {
  if (typeof value === 'string') {
    if (!value.startsWith('/') || value.includes('\0') || basename(value) === '') {
      return `"${where}" must be an absolute path to a binary, or an object {"path","name","args"?} (found ${JSON.stringify(value)})`;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `"${where}" must be an object {"path": "/abs/realpath", "name": "program", "args"?: …} (found ${JSON.stringify(value)})`;
  }
  const record = value as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((key) => !['path', 'name', 'args'].includes(key));
  if (unknownKeys.length > 0) {
    return `unknown key(s) ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')} in "${where}"; an entry has path, name and optionally args`;
  }
  if (typeof record.path !== 'string' || !record.path.startsWith('/') || record.path.includes('\0')) {
    return `"${where}.path" must be the binary's absolute realpath (found ${JSON.stringify(record.path)})`;
  }
  const nameProblem = describeNameProblem(record.name);
  if (nameProblem) return `"${where}.name" ${nameProblem} (found ${JSON.stringify(record.name)}); it is ${NAME_FIX}`;
  if (record.args === undefined) return undefined;
  return describeArgsProblem(record.args, `${where}.args`);
}

/** Why `value` cannot be a program name, or undefined. */
export function describeNameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'must be a non-empty string';
  if (value.includes('/') || value === '.' || value === '..' || value.includes('\0')) return 'must be a bare program name, without "/"';
  return undefined;
}

/** Why `value` is not a valid `args` restriction, or undefined. */
export function describeArgsProblem(value: unknown, where: string): string | undefined {
  const format = 'use {"exact": [[], ["-a"]]} (whole argument vectors) or {"prefix": ["status"]} (a leading part), or leave "args" out to allow every argument';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `"${where}" must be an object: ${format}`;
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'exact' && keys[0] !== 'prefix')) {
    return `"${where}" must have exactly one key, "exact" or "prefix" (found ${keys.map((k) => JSON.stringify(k)).join(', ') || 'none'}): ${format}`;
  }
  const record = value as Record<string, unknown>;
  if ('exact' in record) {
    const exact = record.exact;
    if (!Array.isArray(exact) || exact.length === 0) return `"${where}.exact" must be a non-empty array of argument vectors, e.g. [[]] for "no arguments only"`;
    for (const [i, vector] of exact.entries()) {
      const problem = describeVectorProblem(vector, `${where}.exact[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  const prefix = record.prefix;
  if (!Array.isArray(prefix) || prefix.length === 0) {
    return `"${where}.prefix" must be a non-empty array of strings (an empty prefix would allow every argument: leave "args" out for that)`;
  }
  return describeVectorProblem(prefix, `${where}.prefix`);
}

function describeVectorProblem(vector: unknown, where: string): string | undefined {
  if (!Array.isArray(vector)) return `"${where}" must be an array of strings (found ${JSON.stringify(vector)})`;
  const bad = vector.findIndex((arg) => typeof arg !== 'string' || arg.includes('\0'));
  return bad >= 0 ? `"${where}[${bad}]" must be a string without NUL characters (found ${JSON.stringify(vector[bad])})` : undefined;
}
