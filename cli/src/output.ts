/** How the CLI speaks: JSON for scripts, aligned tables for people, and errors that say what to do. */
import { GatewayError } from '@tether/protocol';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** An error the CLI reports as one line (plus the next step) and turns into an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
    readonly code: string = 'FAILED',
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE, 'USAGE');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  process.stdout.write(`${line(headers)}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

export function ago(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return '-';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return 'just now';
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** Prints an error for people (or as JSON with --json) and returns the exit code. */
export function reportError(error: unknown, json: boolean): number {
  if (error instanceof GatewayError) {
    if (json) printJson({ ok: false, error: error.toShape() });
    else process.stderr.write(`error: ${error.message}${error.detailCode !== error.code ? ` [${error.detailCode}]` : ''}\n`);
    return EXIT_FAILED;
  }
  if (error instanceof CliError) {
    if (json) printJson({ ok: false, error: { code: error.code, message: error.message } });
    else process.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) printJson({ ok: false, error: { code: 'FAILED', message } });
  else process.stderr.write(`error: ${message}\n`);
  return EXIT_FAILED;
}
