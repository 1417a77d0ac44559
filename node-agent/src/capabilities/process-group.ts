/**
 * Children in a process group of their own, so a deadline or a cancel can end the whole tree: a
 * `sh -c` grandchild or an ffmpeg helper would otherwise keep the pipes open and outlive the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface GroupSpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  argv0?: string;
}

export interface GroupChild {
  child: ChildProcess;
  /** Signals the whole group; falls back to the child when the group is already gone. */
  signalGroup(signal: NodeJS.Signals): void;
}

/** Spawns with an argv array (never a shell), stdin closed, stdout and stderr piped. Throws like `spawn`. */
export function spawnInGroup(file: string, args: readonly string[], options: GroupSpawnOptions): GroupChild {
  const child = spawn(file, [...args], {
    argv0: options.argv0,
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: false,
    detached: true,
    windowsHide: true,
  });
  return {
    child,
    signalGroup(signal) {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    },
  };
}
