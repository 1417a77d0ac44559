/**
 * The node owner's local exec policy, `<stateDir>/exec-policy.json`. The gateway cannot change it:
 * only someone with access to this machine decides what may run here.
 */
import { join } from 'node:path';
import { ensurePrivateDir, readJsonFile, writeJsonAtomic } from '@tether/pairing';
import { resolveExecutable } from './resolve.js';

export const EXEC_POLICY_FILE = 'exec-policy.json';
export const EXEC_SECURITY_LEVELS = ['deny', 'allowlist', 'full'] as const;
export type ExecSecurity = (typeof EXEC_SECURITY_LEVELS)[number];
/**
 * When to ask an operator on the gateway before running: never, only when the allowlist does not
 * cover the binary, or every time. Asking never overrides security=deny.
 */
export const EXEC_ASK_MODES = ['off', 'on-miss', 'always'] as const;
export type ExecAsk = (typeof EXEC_ASK_MODES)[number];

export interface ExecPolicy {
  version: 1;
  security: ExecSecurity;
  /** Missing in files written before asking existed; read as 'off'. */
  ask: ExecAsk;
  /** Absolute realpaths of binaries that may run when security is 'allowlist'. */
  allowlist: string[];
}

/** What writeExecPolicy accepts: `ask` may be left out (it means 'off'). */
export type ExecPolicyInput = Omit<ExecPolicy, 'ask'> & { ask?: ExecAsk };

/** Nothing runs until the owner allows it, and nobody is asked. */
export function defaultExecPolicy(): ExecPolicy {
  return { version: 1, security: 'allowlist', ask: 'off', allowlist: [] };
}

export function execPolicyPath(stateDir: string): string {
  return join(stateDir, EXEC_POLICY_FILE);
}

/**
 * Reads the policy; the default when the file is missing. A bad file throws, naming the file and the
 * fix. Always returns an explicit `ask`.
 */
export function readExecPolicy(stateDir: string): ExecPolicy {
  const path = execPolicyPath(stateDir);
  let raw: unknown;
  try {
    raw = readJsonFile(path);
  } catch (error) {
    throw badFile(path, error instanceof SyntaxError ? `not valid JSON (${error.message})` : errorText(error));
  }
  if (raw === undefined) return defaultExecPolicy();
  const problem = describeProblem(raw);
  if (problem) throw badFile(path, problem);
  const policy = raw as ExecPolicyInput;
  return { version: 1, security: policy.security, ask: policy.ask ?? 'off', allowlist: policy.allowlist };
}

export async function writeExecPolicy(stateDir: string, policy: ExecPolicyInput): Promise<void> {
  const problem = describeProblem(policy);
  if (problem) throw new Error(`refusing to write an invalid exec policy: ${problem}`);
  ensurePrivateDir(stateDir);
  // `ask` is always written, so the file shows the owner every knob.
  const clean: ExecPolicy = { version: 1, security: policy.security, ask: policy.ask ?? 'off', allowlist: [...policy.allowlist] };
  await writeJsonAtomic(execPolicyPath(stateDir), clean, 0o600);
}

/**
 * Adds a binary to the allowlist: a bare name is looked up on PATH, a path is resolved against the
 * current directory; either way the realpath is stored. Returns that realpath.
 */
export async function allowBinary(stateDir: string, pathOrName: string, options: { pathEnv?: string } = {}): Promise<string> {
  if (pathOrName.trim() === '') throw new Error('allowBinary: give a binary name (e.g. uname) or a path (e.g. /usr/bin/uname)');
  const resolved = await resolveExecutable(pathOrName, options.pathEnv !== undefined ? { pathEnv: options.pathEnv } : {});
  if (!resolved.ok) throw new Error(`cannot allow ${pathOrName}: ${resolved.message}`);
  const policy = readExecPolicy(stateDir);
  if (!policy.allowlist.includes(resolved.path)) {
    await writeExecPolicy(stateDir, { ...policy, allowlist: [...policy.allowlist, resolved.path] });
  }
  return resolved.path;
}

export async function setSecurity(stateDir: string, level: ExecSecurity): Promise<void> {
  if (!isSecurity(level)) {
    throw new Error(`invalid exec security level ${JSON.stringify(level)}: use one of ${EXEC_SECURITY_LEVELS.join(', ')}`);
  }
  const policy = readExecPolicy(stateDir);
  await writeExecPolicy(stateDir, { ...policy, security: level });
}

/** Sets when to ask an operator; keeps security and the allowlist. */
export async function setAsk(stateDir: string, ask: ExecAsk): Promise<void> {
  if (!isAsk(ask)) {
    throw new Error(`invalid exec ask mode ${JSON.stringify(ask)}: use one of ${EXEC_ASK_MODES.join(', ')}`);
  }
  const policy = readExecPolicy(stateDir);
  await writeExecPolicy(stateDir, { ...policy, ask });
}

function isAsk(value: unknown): value is ExecAsk {
  return typeof value === 'string' && (EXEC_ASK_MODES as readonly string[]).includes(value);
}

function isSecurity(value: unknown): value is ExecSecurity {
  return typeof value === 'string' && (EXEC_SECURITY_LEVELS as readonly string[]).includes(value);
}

/** Why `value` is not a valid policy, or undefined when it is. */
function describeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the top level must be a JSON object';
  const record = value as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((k) => !['version', 'security', 'ask', 'allowlist'].includes(k));
  if (unknownKeys.length > 0) return `unknown key(s) ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')}; allowed keys are version, security, ask, allowlist`;
  if (record.version !== 1) return `"version" must be 1 (found ${JSON.stringify(record.version)})`;
  if (!isSecurity(record.security)) {
    return `"security" must be one of ${EXEC_SECURITY_LEVELS.map((l) => `"${l}"`).join(', ')} (found ${JSON.stringify(record.security)})`;
  }
  if (record.ask !== undefined && !isAsk(record.ask)) {
    return `"ask" must be one of ${EXEC_ASK_MODES.map((m) => `"${m}"`).join(', ')} (found ${JSON.stringify(record.ask)})`;
  }
  if (!Array.isArray(record.allowlist)) return '"allowlist" must be an array of absolute binary paths';
  const bad = record.allowlist.findIndex((entry) => typeof entry !== 'string' || !entry.startsWith('/'));
  if (bad >= 0) return `"allowlist[${bad}]" must be an absolute path (found ${JSON.stringify(record.allowlist[bad])})`;
  return undefined;
}

function badFile(path: string, why: string): Error {
  return new Error(
    `exec policy file ${path} is invalid: ${why}. Fix the file by hand ` +
      `(format: {"version":1,"security":"deny"|"allowlist"|"full","ask":"off"|"on-miss"|"always","allowlist":["/abs/path"]}), ` +
      `or delete it to reset to the default (security "allowlist", ask "off", nothing allowed)`,
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
