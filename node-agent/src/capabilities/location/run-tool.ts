/**
 * Spawns a helper tool (gdbus, where-am-i) without a shell, with a deadline, cancellation and capped
 * output. Unlike runProcess it can stop the tool early once its output says enough (`stopWhen`):
 * where-am-i keeps running after its first fix.
 */
import { spawn } from 'node:child_process';

export interface ToolRunOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal: AbortSignal;
  stopWhen?: (stdout: string) => boolean;
}

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  /** True when `stopWhen` matched and the tool was stopped on purpose. */
  stopped: boolean;
  spawnError?: string;
}

const CAP_CHARS = 64 * 1024;

export function runTool(file: string, args: readonly string[], options: ToolRunOptions): Promise<ToolRun> {
  const run: ToolRun = { code: null, stdout: '', stderr: '', timedOut: false, cancelled: options.signal.aborted, stopped: false };
  if (run.cancelled) return Promise.resolve(run);
  return new Promise((resolve) => {
    // Own process group, so a kill also reaches anything the tool started.
    const child = spawn(file, [...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
    let settled = false;
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const deadline = setTimeout(() => ((run.timedOut = true), kill()), Math.max(1, options.timeoutMs));
    const onAbort = (): void => {
      run.cancelled = true;
      kill();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      options.signal.removeEventListener('abort', onAbort);
      resolve(run);
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (run.stdout.length < CAP_CHARS) run.stdout += chunk;
      if (!run.stopped && options.stopWhen?.(run.stdout)) {
        run.stopped = true;
        kill();
      }
    });
    child.stderr.on('data', (chunk: string) => {
      if (run.stderr.length < CAP_CHARS) run.stderr += chunk;
    });
    child.on('error', (error) => {
      run.spawnError = error.message;
      finish();
    });
    child.on('close', (code) => {
      run.code = code;
      finish();
    });
  });
}

/** The first non-empty line of a tool's stderr, for error messages. */
export function firstLine(text: string): string {
  return text.split('\n').map((line) => line.trim()).find((line) => line !== '') ?? '';
}
