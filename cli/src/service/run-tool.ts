/** Runs systemctl, loginctl, launchctl, id, useradd and chown by name from PATH (so tests can put fakes first). */
import { execFile } from 'node:child_process';

export interface ToolResult {
  command: string;
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program is not installed. */
  missing: boolean;
}

export type ToolRunner = (program: string, args: string[]) => Promise<ToolResult>;

export const runTool: ToolRunner = (program, args) =>
  new Promise((resolve) => {
    execFile(program, args, { timeout: 30_000, maxBuffer: 1 << 20, env: { ...process.env, SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' } }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as NodeJS.ErrnoException).code === 'number' ? ((error as unknown as { code: number }).code) : null) : 0;
      const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      resolve({ command: [program, ...args].join(' '), ok: !error, code, stdout: String(stdout), stderr: missing ? `${program}: not found` : String(stderr), missing });
    });
  });

/** Quotes a word for a POSIX shell when it is printed as a command to run by hand. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(words: readonly string[]): string {
  return words.map(shellWord).join(' ');
}

/** systemctl's own words for "no systemd to talk to" (a container, WSL without systemd, a chroot). */
export function systemdUnavailable(result: ToolResult): boolean {
  return result.missing || /not been booted with systemd|Failed to connect to bus|Failed to connect to user scope bus|Host is down|No medium found|\$DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR/i.test(result.stderr);
}
