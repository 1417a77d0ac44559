/**
 * Runs one resolved binary without a shell, with a deadline, cancellation and an output cap.
 * The child gets its own process group so a kill also reaches anything it started (a shell's
 * children would otherwise keep the pipes open and the run alive past its deadline).
 */
import type { SystemRunResult } from '@tether/protocol';
import { OutputCapture } from './output-capture.js';
import { spawnInGroup, type GroupChild } from './process-group.js';

export interface RunProcessOptions {
  /** Realpath of the binary to execute. */
  file: string;
  /**
   * argv[0] for the child: the name the exec policy checked, never the caller's string. Multi-call
   * binaries such as busybox run the program argv[0] names, so this decides what actually runs.
   */
  argv0: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** 0 = no deadline. */
  timeoutMs: number;
  capBytes: number;
  signal: AbortSignal;
}

/** After the child exits, how long to wait for pipes still held open by processes it left behind. */
const DRAIN_GRACE_MS = 1_000;

export function runProcess(options: RunProcessOptions): Promise<SystemRunResult> {
  const capture = new OutputCapture(options.capBytes);
  if (options.signal.aborted) return Promise.resolve(result(capture, null, false, 'cancelled before the process started'));

  return new Promise<SystemRunResult>((resolve) => {
    let group: GroupChild;
    try {
      group = spawnInGroup(options.file, options.args, { argv0: options.argv0, cwd: options.cwd, env: options.env });
    } catch (error) {
      resolve(result(capture, null, false, `spawn failed: ${errorText(error)}`));
      return;
    }

    let timedOut = false;
    let cancelled = false;
    let spawnError: Error | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const { child } = group;
    const killTree = (): void => group.signalGroup('SIGKILL');
    const deadline = options.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), killTree()), options.timeoutMs) : undefined;
    const onAbort = (): void => {
      cancelled = true;
      killTree();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(drainTimer);
      options.signal.removeEventListener('abort', onAbort);
      const code = spawnError ? null : (exit?.code ?? null);
      const signal = exit?.signal ?? null;
      let error: string | null = null;
      if (spawnError) error = `spawn failed: ${spawnError.message}`;
      else if (timedOut) error = `killed by SIGKILL after timeout (${options.timeoutMs} ms)`;
      else if (cancelled) error = 'cancelled: killed by SIGKILL';
      else if (signal) error = `killed by signal ${signal}`;
      resolve(result(capture, code, timedOut, error));
    };

    child.stdout?.on('data', (chunk: Buffer) => capture.push('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => capture.push('stderr', chunk));
    child.on('error', (error) => {
      spawnError ??= error;
      if (child.pid === undefined) finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      clearTimeout(deadline);
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, DRAIN_GRACE_MS);
    });
    child.on('close', (code, signal) => {
      exit ??= { code, signal };
      finish();
    });
  });
}

function result(capture: OutputCapture, exitCode: number | null, timedOut: boolean, error: string | null): SystemRunResult {
  const output = capture.finish();
  return {
    exitCode,
    timedOut,
    success: exitCode === 0 && !timedOut,
    stdout: output.stdout,
    stderr: output.stderr,
    error,
    truncated: output.truncated,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
