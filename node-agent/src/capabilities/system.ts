/**
 * system.run and system.which. Every run: validate params, resolve the binary to its realpath and
 * the name it is invoked as, read the owner's exec policy fresh, ask an operator when the policy says
 * so, and only then spawn. A caller's `approved`/`approvalDecision` params (OpenClaw's) are ignored:
 * only the owner's policy and an approval this node asked for itself can let a command run.
 *
 * argv[0] of the child is never the caller's string: it is the name the policy checked (the matched
 * entry's name, or with security=full or an approved run the basename of command[0]). A multi-call
 * binary such as busybox picks its program from argv[0], so passing anything else would run a
 * program the policy never saw.
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import {
  SYSTEM_RUN_OUTPUT_CAP_BYTES,
  SystemRunParamsSchema,
  SystemWhichParamsSchema,
  createValidator,
  formatArgv,
  safeText,
  shellQuote,
  type SystemRunParams,
  type SystemRunResult,
  type SystemWhichResult,
} from '@tether/protocol';
import { addAllowlistEntry } from '../exec-policy/allowlist-edit.js';
import { askOperator, type AskDecision, type AskGateway } from '../exec-policy/ask.js';
import { evaluateExecPolicy, type ExecDecision, type ExecTarget } from '../exec-policy/evaluate.js';
import { sanitizeRequestEnv } from '../exec-policy/env.js';
import { readExecPolicy } from '../exec-policy/policy-file.js';
import { effectivePath, resolveExecutable, searchPath } from '../exec-policy/resolve.js';
import { CommandError, CommandErrorCode, type CapabilityProvider, type Detection } from './capability.js';
import { runProcess } from './run-process.js';

export interface SystemProviderOptions {
  /** Where exec-policy.json lives. */
  stateDir: string;
  /** PATH for lookups and for children; defaults to this process's PATH (or a standard one if empty). */
  pathEnv?: string;
  /**
   * Asks operators on the gateway (`exec.approval.request`) when the policy says ask. Without it a
   * run that needs asking is denied with rule ask-unavailable.
   */
  askGateway?: AskGateway;
  /** Where to report things that do not fail the run (an allow-always that could not be saved). */
  log?: (message: string) => void;
}

/** How long a run waits for an operator when its params set no timeout (the gateway may cap it lower). */
export const DEFAULT_ASK_TIMEOUT_MS = 60_000;

const runParams = createValidator(SystemRunParamsSchema);
const whichParams = createValidator(SystemWhichParamsSchema);

export function createSystemProvider(options: SystemProviderOptions): CapabilityProvider {
  return {
    family: 'system',
    commands: ['system.run', 'system.which'],
    detect: async (): Promise<Detection> =>
      process.platform === 'linux' || process.platform === 'darwin'
        ? { available: true, backend: 'child_process' }
        : { available: false, reason: `system.run is not supported on ${process.platform} yet`, fix: 'run the node on Linux or macOS' },
    run: async (command, params, signal) => {
      if (command === 'system.run') return systemRun(options, params, signal);
      if (command === 'system.which') return systemWhich(options, params);
      throw new CommandError(CommandErrorCode.UNAVAILABLE, `command not supported: ${command}; the system provider handles system.run and system.which`);
    },
  };
}

export async function systemRun(options: SystemProviderOptions, params: unknown, signal: AbortSignal): Promise<SystemRunResult> {
  if (!runParams.check(params)) throw invalid(`invalid system.run params: ${runParams.lastError()}`);
  const p: SystemRunParams = params;
  const nul = p.command.findIndex((arg) => arg.includes('\0'));
  if (nul >= 0) throw invalid(`invalid system.run params: command[${nul}] contains a NUL character`);
  const argv0 = p.command[0] as string; // minItems: 1
  if (argv0 === '') throw invalid('invalid system.run params: command[0] is empty; give a program name or path');

  const cwd = await checkCwd(p.cwd);
  const pathValue = effectivePath(options.pathEnv);
  const env = sanitizeRequestEnv(p.env);
  env.PATH = pathValue; // children see the PATH we searched

  const binary = await resolveExecutable(argv0, { pathEnv: pathValue, cwd });
  if (!binary.ok) throw invalid(binary.message, { command: argv0, reason: binary.reason });
  const target: ExecTarget = { path: binary.path, foundAt: binary.foundAt, name: binary.name, args: p.command.slice(1) };

  const decision = decide(options, target);
  let spawnArgv0 = target.name;
  if (decision.action === 'ask') await approve(options, decision, { argv: p.command, cwd, target, timeoutMs: p.timeoutMs }, signal);
  else spawnArgv0 = decision.argv0;

  return runProcess({
    file: binary.path,
    argv0: spawnArgv0,
    args: target.args,
    cwd,
    env,
    timeoutMs: p.timeoutMs ?? 0,
    capBytes: SYSTEM_RUN_OUTPUT_CAP_BYTES,
    signal,
  });
}

/** Reads the policy fresh and evaluates it; throws EXEC_DENIED for a denial. */
function decide(options: SystemProviderOptions, target: ExecTarget): Exclude<ExecDecision, { action: 'deny' }> {
  let decision: ExecDecision;
  const details = { path: target.path, name: target.name };
  try {
    decision = evaluateExecPolicy(readExecPolicy(options.stateDir), target);
  } catch (error) {
    // Fail closed: without a readable policy nothing runs.
    throw new CommandError(CommandErrorCode.EXEC_DENIED, `exec denied: ${error instanceof Error ? error.message : String(error)}`, {
      rule: 'policy-unreadable',
      ...details,
    });
  }
  if (decision.action === 'deny') throw new CommandError(CommandErrorCode.EXEC_DENIED, decision.message, { rule: decision.rule, ...details });
  return decision;
}

/**
 * Asks for exactly this argv, cwd and binary; returns only on a yes. The run that follows uses the
 * same values (they are not re-read from the request), so a yes cannot be spent on anything else.
 */
async function approve(
  options: SystemProviderOptions,
  decision: AskDecision,
  run: { argv: string[]; cwd: string; target: ExecTarget; timeoutMs: number | undefined },
  signal: AbortSignal,
): Promise<void> {
  const timeoutMs = run.timeoutMs !== undefined && run.timeoutMs > 0 ? run.timeoutMs : DEFAULT_ASK_TIMEOUT_MS;
  const { target } = run;
  if (options.askGateway) options.log?.(`exec policy ${decision.rule}: asking an operator to approve ${formatArgv(run.argv)} in ${shellQuote(run.cwd)}`);
  const answer = await askOperator({
    askGateway: options.askGateway,
    decision,
    request: { command: 'system.run', argv: [...run.argv], cwd: run.cwd, resolvedPath: target.path, timeoutMs },
    signal,
  });
  const approval = safeText(answer.id);
  if (answer.decision === 'allow-always') {
    // The binary under the name the operator saw in argv[0], with every argument (as OpenClaw's allow-always).
    const entry = { path: target.path, name: target.name };
    try {
      await addAllowlistEntry(options.stateDir, entry);
      options.log?.(`approval ${approval}: an operator allowed ${shellQuote(entry.name)} (${shellQuote(entry.path)}) always, with every argument; it is now on the exec allowlist`);
    } catch (error) {
      // The operator's yes still covers this run; only the "always" part is lost, so say so.
      options.log?.(`approval ${approval}: could not add ${shellQuote(entry.name)} (${shellQuote(entry.path)}) to the allowlist: ${safeText(error instanceof Error ? error.message : String(error))}`);
    }
  }
  // The owner may have locked the node down while the operator was deciding; the owner wins.
  decide(options, target);
}

export async function systemWhich(options: SystemProviderOptions, params: unknown): Promise<SystemWhichResult> {
  if (!whichParams.check(params)) throw invalid(`invalid system.which params: ${whichParams.lastError()}`);
  const pathValue = effectivePath(options.pathEnv);
  const bins: Record<string, string> = {};
  for (const name of params.bins) {
    if (name.includes('/') || name.includes('\0')) {
      throw invalid(`invalid system.which params: ${safeText(JSON.stringify(name))} is not a bare name; give names like "git", not paths`);
    }
    const found = await searchPath(name, pathValue);
    if (found) bins[name] = found; // missing names are omitted, as OpenClaw does
  }
  return { bins };
}

async function checkCwd(cwd: string | undefined): Promise<string> {
  if (cwd === undefined) return process.cwd();
  if (cwd.includes('\0')) throw invalid('invalid system.run params: cwd contains a NUL character');
  const dir = resolve(cwd);
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) throw invalid(`cwd is not a directory: ${safeText(dir)}; give an existing directory`, { cwd: dir });
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw invalid(`cwd does not exist: ${safeText(dir)}; give an existing directory or omit cwd`, { cwd: dir });
  }
  return dir;
}

function invalid(message: string, details?: Record<string, unknown>): CommandError {
  return new CommandError(CommandErrorCode.INVALID_REQUEST, message, details);
}
