/**
 * Error codes of the media providers, and the error for a capture tool that failed. The codes
 * follow OpenClaw's node errors (`CAMERA_*`, `SCREEN_*`, `*_PERMISSION_REQUIRED`).
 */
import { stat } from 'node:fs/promises';
import type { Validator } from '@tether/protocol';
import { CommandError, CommandErrorCode } from '../capability.js';
import type { ToolRun } from './run-tool.js';

export const MediaErrorCode = {
  INVALID_REQUEST: CommandErrorCode.INVALID_REQUEST,
  UNAVAILABLE: CommandErrorCode.UNAVAILABLE,
  CAMERA_UNAVAILABLE: 'CAMERA_UNAVAILABLE',
  CAMERA_PERMISSION_REQUIRED: 'CAMERA_PERMISSION_REQUIRED',
  SCREEN_UNAVAILABLE: 'SCREEN_UNAVAILABLE',
  SCREEN_PERMISSION_REQUIRED: 'SCREEN_PERMISSION_REQUIRED',
} as const;
export type MediaErrorCode = (typeof MediaErrorCode)[keyof typeof MediaErrorCode];

export function invalidRequest(message: string, details?: Record<string, unknown>): CommandError {
  return new CommandError(MediaErrorCode.INVALID_REQUEST, message, details);
}

/** Params checked against the command's schema, or INVALID_REQUEST naming what is wrong. */
export function validateParams<T>(command: string, validator: Validator<T>, params: unknown): T {
  if (!validator.check(params)) throw invalidRequest(`invalid ${command} params: ${validator.lastError()}`);
  return params;
}

/** A tool that exited 0 without writing its output is still a failed capture. */
export async function ensureOutput(file: string, code: MediaErrorCode, message: string): Promise<void> {
  const size = await stat(file).then((s) => s.size, () => 0);
  if (size === 0) throw new CommandError(code, message);
}

/** What a failed run says about itself: exit status, then the tail of its stderr. */
export function describeRun(run: ToolRun): string {
  const how = run.spawnError
    ? `could not start (${run.spawnError})`
    : run.timedOut
      ? `timed out after ${run.timeoutMs} ms`
      : run.exitSignal
        ? `was killed by ${run.exitSignal}`
        : `exited with code ${run.exitCode}`;
  const stderr = run.stderrTail.trim();
  return stderr === '' ? how : `${how}: ${stderr}`;
}

/**
 * The error for a capture tool that did not produce its output: `code` and `fix` depend on the
 * family; the tool's own words (stderr) are kept in the message and in details.
 */
export function toolFailure(code: MediaErrorCode | string, tool: string, run: ToolRun, fix: string): CommandError {
  return new CommandError(code, `${tool} ${describeRun(run)}. ${fix}`, {
    tool,
    exitCode: run.exitCode,
    ...(run.exitSignal ? { signal: run.exitSignal } : {}),
    timedOut: run.timedOut,
    stderr: run.stderrTail,
  });
}

/** True when the tool's words say the OS refused access (device node mode, TCC, X authority). */
export function looksLikePermissionDenied(run: ToolRun): boolean {
  return /permission denied|not authori[sz]ed|authori[sz]ation required|no protocol specified|operation not permitted|EACCES/i.test(
    run.stderrTail,
  );
}
