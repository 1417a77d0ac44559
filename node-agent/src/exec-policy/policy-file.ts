/**
 * The node owner's local exec policy, `<stateDir>/exec-policy.json`. The gateway cannot change it:
 * only someone with access to this machine decides what may run here.
 */
import { join } from 'node:path';
import { ensurePrivateDir, readJsonFile, writeJsonAtomic } from '@tether/pairing';
import { describeEntryProblem, normalizeEntry, type AllowlistEntry, type AllowlistEntryInput } from './allowlist-entry.js';
import { ExecPolicyError, ExecPolicyErrorCode } from './errors.js';

export const EXEC_POLICY_FILE = 'exec-policy.json';
export const EXEC_SECURITY_LEVELS = ['deny', 'allowlist', 'full'] as const;
export type ExecSecurity = (typeof EXEC_SECURITY_LEVELS)[number];
/**
 * When to ask an operator on the gateway before running: never, only when the allowlist does not
 * cover the run, or every time. Asking never overrides security=deny.
 */
export const EXEC_ASK_MODES = ['off', 'on-miss', 'always'] as const;
export type ExecAsk = (typeof EXEC_ASK_MODES)[number];

export interface ExecPolicy {
  version: 1;
  security: ExecSecurity;
  /** Missing in files written before asking existed; read as 'off'. */
  ask: ExecAsk;
  /** What may run when security is 'allowlist': a run must match one entry's binary, name and arguments. */
  allowlist: AllowlistEntry[];
}

/** What writeExecPolicy accepts: `ask` may be left out (it means 'off'), entries may be bare paths. */
export type ExecPolicyInput = Omit<ExecPolicy, 'ask' | 'allowlist'> & { ask?: ExecAsk; allowlist: AllowlistEntryInput[] };

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
  return cleanPolicy(raw as ExecPolicyInput);
}

export async function writeExecPolicy(stateDir: string, policy: ExecPolicyInput): Promise<void> {
  const problem = describeProblem(policy);
  if (problem) throw new ExecPolicyError(ExecPolicyErrorCode.POLICY_INVALID, `refusing to write an invalid exec policy: ${problem}`);
  ensurePrivateDir(stateDir);
  // `ask` is always written, so the file shows the owner every knob; entries always in the object form.
  await writeJsonAtomic(execPolicyPath(stateDir), cleanPolicy(policy), 0o600);
}

/** A validated input as the canonical policy: explicit `ask`, every entry `{path, name, args?}`, copied. */
function cleanPolicy(policy: ExecPolicyInput): ExecPolicy {
  return { version: 1, security: policy.security, ask: policy.ask ?? 'off', allowlist: policy.allowlist.map(normalizeEntry) };
}

export async function setSecurity(stateDir: string, level: ExecSecurity): Promise<void> {
  if (!isSecurity(level)) {
    throw new ExecPolicyError(ExecPolicyErrorCode.INVALID_SETTING, `invalid exec security level ${JSON.stringify(level)}: use one of ${EXEC_SECURITY_LEVELS.join(', ')}`);
  }
  const policy = readExecPolicy(stateDir);
  await writeExecPolicy(stateDir, { ...policy, security: level });
}

/** Sets when to ask an operator; keeps security and the allowlist. */
export async function setAsk(stateDir: string, ask: ExecAsk): Promise<void> {
  if (!isAsk(ask)) {
    throw new ExecPolicyError(ExecPolicyErrorCode.INVALID_SETTING, `invalid exec ask mode ${JSON.stringify(ask)}: use one of ${EXEC_ASK_MODES.join(', ')}`);
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
  if (!Array.isArray(record.allowlist)) return '"allowlist" must be an array of entries {"path": "/abs/realpath", "name": "program", "args"?: …}';
  for (const [i, entry] of record.allowlist.entries()) {
    const problem = describeEntryProblem(entry, `allowlist[${i}]`);
    if (problem) return problem;
  }
  return undefined;
}

function badFile(path: string, why: string): ExecPolicyError {
  return new ExecPolicyError(
    ExecPolicyErrorCode.POLICY_FILE_INVALID,
    `exec policy file ${path} is invalid: ${why}. Fix the file by hand ` +
      `(format: {"version":1,"security":"deny"|"allowlist"|"full","ask":"off"|"on-miss"|"always",` +
      `"allowlist":[{"path":"/usr/bin/uname","name":"uname"},{"path":"/usr/bin/date","name":"date","args":{"exact":[[]]}}]}), ` +
      `or delete it to reset to the default (security "allowlist", ask "off", nothing allowed)`,
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
