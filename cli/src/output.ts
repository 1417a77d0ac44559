/**
 * How the CLI speaks: JSON for scripts, aligned tables for people, and errors that say what to do.
 *
 * Everything here renders text that may come from another party (device and node names, argv, paths,
 * node and gateway messages), so every function escapes by itself: a caller cannot forget, and a new
 * column or line cannot reopen the hole. Commands print only through these functions.
 */
import { GatewayError, safeText } from '@tether/protocol';

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

/**
 * JSON.stringify escapes C0 controls only. C1 controls (0x9b is a one-byte CSI on many terminals), DEL,
 * bidi overrides and the Unicode line separators would still reach the terminal raw inside strings.
 * They can only occur inside JSON strings, where `\uXXXX` is the same value: still valid JSON.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function safeJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  return text.replace(JSON_UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${safeJson(value)}\n`);
}

/** Lines for people, each escaped: a line break or ESC inside a value shows as `\x0a` / `\x1b`. */
export function printLines(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.map(safeText).join('\n')}\n`);
}

/** An aligned table; every cell is escaped before it is measured, so widths match what is shown. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cells = [headers, ...rows].map((row) => row.map((cell) => safeText(cell ?? '')));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  printLines(formatTable(headers, rows));
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

/**
 * Text a peer streams for people to read as it arrives (assistant replies). Unlike `safeText` this keeps
 * line breaks and tabs, and it removes (rather than shows) every other control and bidi character: ESC
 * (so no CSI/OSC sequence, colour, cursor move or OSC 8 link can start), CR (no overwriting what was
 * shown), C1 controls, DEL. Stateless per character, so a sequence split across chunks is removed too.
 */
const STREAM_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function safeStreamText(text: string): string {
  return text.replace(/[\u2028\u2029]/g, '\n').replace(STREAM_UNSAFE, '');
}

/** Writes streamed text (or lines already escaped by a view) to stdout through `safeStreamText`. */
export function writeStream(text: string): void {
  if (text !== '') process.stdout.write(safeStreamText(text));
}

/**
 * Terminal art this CLI rendered itself from its own data (a setup code's QR code): printed as is,
 * escape sequences and all. Never pass text that came from a peer.
 */
export function printRenderedArt(art: string): void {
  process.stdout.write(`${art}\n`);
}

/** A remark that is not the command's output (so it goes to stderr and never breaks --json). */
export function printNote(line: string): void {
  process.stderr.write(`note: ${safeText(line)}\n`);
}

/** Prints an error for people (or as JSON with --json) and returns the exit code. */
export function reportError(error: unknown, json: boolean): number {
  if (error instanceof GatewayError) {
    if (json) printJson({ ok: false, error: error.toShape() });
    else process.stderr.write(`error: ${safeText(error.message)}${error.detailCode !== error.code ? ` [${safeText(error.detailCode)}]` : ''}\n`);
    return EXIT_FAILED;
  }
  if (error instanceof CliError) {
    if (json) printJson({ ok: false, error: { code: error.code, message: error.message } });
    else process.stderr.write(`error: ${safeText(error.message)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) printJson({ ok: false, error: { code: 'FAILED', message } });
  else process.stderr.write(`error: ${safeText(message)}\n`);
  return EXIT_FAILED;
}
