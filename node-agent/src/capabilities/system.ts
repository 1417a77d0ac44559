/**
 * system.run and system.which. Every run: validate params, resolve the binary to its realpath,
 * read the owner's exec policy fresh, and only then spawn.
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import {
  SYSTEM_RUN_OUTPUT_CAP_BYTES,
  SystemRunParamsSchema,
  SystemWhichParamsSchema,
  createValidator,
  type SystemRunParams,
  type SystemRunResult,
  type SystemWhichResult,
} from '@tether/protocol';
import { evaluateExecPolicy } from '../exec-policy/evaluate.js';
import { sanitizeRequestEnv } from '../exec-policy/env.js';
import { readExecPolicy, type ExecPolicy } from '../exec-policy/policy-file.js';
import { effectivePath, resolveExecutable, searchPath } from '../exec-policy/resolve.js';
import { CommandError, CommandErrorCode, type CapabilityProvider, type Detection } from './capability.js';
import { runProcess } from './run-process.js';

export interface SystemProviderOptions {
  /** Where exec-policy.json lives. */
  stateDir: string;
  /** PATH for lookups and for children; defaults to this process's PATH (or a standard one if empty). */
  pathEnv?: string;
}

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

  let policy: ExecPolicy;
  try {
    policy = readExecPolicy(options.stateDir);
  } catch (error) {
    // Fail closed: without a readable policy nothing runs.
    throw new CommandError(CommandErrorCode.EXEC_DENIED, `exec denied: ${error instanceof Error ? error.message : String(error)}`, {
      rule: 'policy-unreadable',
      path: binary.path,
    });
  }
  const decision = evaluateExecPolicy(policy, binary.path);
  if (!decision.allowed) throw new CommandError(CommandErrorCode.EXEC_DENIED, decision.message, { rule: decision.rule, path: binary.path });

  return runProcess({
    file: binary.path,
    argv0,
    args: p.command.slice(1),
    cwd,
    env,
    timeoutMs: p.timeoutMs ?? 0,
    capBytes: SYSTEM_RUN_OUTPUT_CAP_BYTES,
    signal,
  });
}

export async function systemWhich(options: SystemProviderOptions, params: unknown): Promise<SystemWhichResult> {
  if (!whichParams.check(params)) throw invalid(`invalid system.which params: ${whichParams.lastError()}`);
  const pathValue = effectivePath(options.pathEnv);
  const bins: Record<string, string> = {};
  for (const name of params.bins) {
    if (name.includes('/') || name.includes('\0')) {
      throw invalid(`invalid system.which params: ${JSON.stringify(name)} is not a bare name; give names like "git", not paths`);
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
    if (!stat.isDirectory()) throw invalid(`cwd is not a directory: ${dir}; give an existing directory`, { cwd: dir });
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw invalid(`cwd does not exist: ${dir}; give an existing directory or omit cwd`, { cwd: dir });
  }
  return dir;
}

function invalid(message: string, details?: Record<string, unknown>): CommandError {
  return new CommandError(CommandErrorCode.INVALID_REQUEST, message, details);
}
