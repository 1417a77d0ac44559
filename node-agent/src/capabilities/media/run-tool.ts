/**
 * Runs one capture tool (ffmpeg, ffprobe, rpicam-still, grim, …): an argv array, never a shell; a
 * deadline; cancellation through the invoke's AbortSignal; the last ~2 kB of stderr kept for the
 * error message. The child leads its own process group so a kill also reaches anything it started
 * (a wrapper script's children, libcamera helpers).
 */
import { spawnInGroup, type GroupChild } from '../process-group.js';

export const STDERR_TAIL_BYTES = 2048;
const STDOUT_CAP_BYTES = 1024 * 1024;

export interface ToolRunOptions {
  /** Absolute path of the tool (found on the settings' PATH). */
  file: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Hard deadline; the tool is killed (SIGKILL) when it passes. */
  timeoutMs: number;
  /** Keep stdout (up to 1 MB) for listings and probes; otherwise it is drained and dropped. */
  captureStdout?: boolean;
  /** For recorders without a duration flag (wf-recorder): SIGINT after this long lets them finish the file. */
  interruptAfterMs?: number;
}

export interface ToolRun {
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
  timedOut: boolean;
  timeoutMs: number;
  spawnError?: string;
}

/** Thrown when the invoke was cancelled; not a CommandError, so the node reports it as cancelled/timed out. */
export class ToolCancelledError extends Error {
  override readonly name = 'ToolCancelledError';
}

export function cancelledError(signal: AbortSignal, what: string): ToolCancelledError {
  const reason = signal.reason instanceof Error ? signal.reason.message : signal.reason === undefined ? 'aborted' : String(signal.reason);
  return new ToolCancelledError(`${what} cancelled: ${reason}`);
}

/** Resolves when the tool has exited (any status); rejects only with ToolCancelledError. */
export function runTool(options: ToolRunOptions): Promise<ToolRun> {
  const name = options.file.split('/').pop() ?? options.file;
  if (options.signal.aborted) return Promise.reject(cancelledError(options.signal, name));

  return new Promise<ToolRun>((resolve, reject) => {
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrTail = Buffer.alloc(0);
    let timedOut = false;
    let cancelled = false;
    let spawnError: string | undefined;
    let settled = false;

    let group: GroupChild;
    try {
      group = spawnInGroup(options.file, options.args, { env: options.env });
    } catch (error) {
      resolve(outcome(null, null, error instanceof Error ? error.message : String(error)));
      return;
    }

    const { child, signalGroup } = group;
    const deadline = setTimeout(() => ((timedOut = true), signalGroup('SIGKILL')), options.timeoutMs);
    const interrupt = options.interruptAfterMs !== undefined ? setTimeout(() => signalGroup('SIGINT'), options.interruptAfterMs) : undefined;
    const onAbort = (): void => {
      cancelled = true;
      signalGroup('SIGKILL');
    };
    options.signal.addEventListener('abort', onAbort, { once: true });

    child.stdout?.on('data', (chunk: Buffer) => {
      if (!options.captureStdout || stdoutBytes >= STDOUT_CAP_BYTES) return;
      stdout.push(chunk);
      stdoutBytes += chunk.length;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      const joined = Buffer.concat([stderrTail, chunk]);
      stderrTail = joined.length > STDERR_TAIL_BYTES ? joined.subarray(joined.length - STDERR_TAIL_BYTES) : joined;
    });
    child.on('error', (error) => {
      spawnError ??= error.message;
      if (child.pid === undefined) finish(null, null);
    });
    // 'close' waits for the pipes, so the tool's output file is complete when we look at it.
    child.on('close', (code, sig) => finish(code, sig));

    function finish(code: number | null, sig: NodeJS.Signals | null): void {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(interrupt);
      options.signal.removeEventListener('abort', onAbort);
      if (cancelled) reject(cancelledError(options.signal, name));
      else resolve(outcome(code, sig, spawnError));
    }

    function outcome(code: number | null, sig: NodeJS.Signals | null, error: string | undefined): ToolRun {
      return {
        exitCode: code,
        exitSignal: sig,
        stdout: Buffer.concat(stdout).toString('utf8'),
        // A cut may split a UTF-8 sequence; drop the broken lead-in.
        stderrTail: stderrTail.toString('utf8').replace(/^\uFFFD+/, ''),
        timedOut,
        timeoutMs: options.timeoutMs,
        ...(error !== undefined ? { spawnError: error } : {}),
      };
    }
  });
}

/** True when the tool ran to completion with exit code 0. */
export function succeeded(run: ToolRun): boolean {
  return run.exitCode === 0 && !run.timedOut && run.spawnError === undefined;
}
