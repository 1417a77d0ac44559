/**
 * Rendering strings that come from another party (display names, argv, paths, node messages) where a
 * person reads them: terminals, tables, prompts and log lines. One place, so every new field that shows
 * a remote string goes through the same escaping. A terminal interprets C0/C1 control characters (ESC
 * sequences can erase lines, move the cursor or hide text) and bidi overrides reorder what is shown, so
 * both are replaced by visible escapes: what a person sees is exactly what was sent.
 */

/**
 * Controls (C0, C1, DEL: \p{Cc}), format characters (\p{Cf}: the bidi marks, overrides and isolates,
 * zero-width spaces and joiners, the BOM, soft hyphens, tag characters), the line and paragraph
 * separators U+2028/U+2029 (a chat app may draw them as line breaks, faking lines in an approval), and
 * the Hangul fillers that render as blank space. Emoji joined by U+200D show escaped: safety first.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/gu;

function escapeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** True when `text` holds a character that `safeText` would escape. */
export function hasUnsafeChars(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text);
}

/** `text` with every control and bidi character shown as `\xNN` / `\u{NNNN}`; one line, inert in a terminal. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** `safeText`, capped at `max` characters (after escaping) with an ellipsis, for table cells and log lines. */
export function safeLabel(text: string | undefined, max = 64, fallback = '-'): string {
  if (text === undefined || text === '') return fallback;
  const safe = safeText(text);
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

/**
 * Whether `safeLabel(text, max)` shows `text` whole. Decided on the escaped text: an escape is up to
 * eight characters, so a short raw path full of zero-width characters can still be shown cut, and a
 * prompt must then not offer Approve for what it hid (attacker's review of the Control UI).
 */
export function shownWhole(text: string | undefined, max: number): boolean {
  return text === undefined || safeText(text).length <= max;
}

/**
 * Quotes one argument for a POSIX shell so the line can be pasted as-is. An argument with control or
 * bidi characters uses ANSI-C quoting (`$'…'`, bash/zsh/ksh) with those characters escaped, so the
 * dangerous part of a command can never be hidden from the person reading it.
 */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(value)) return value;
  if (hasUnsafeChars(value)) {
    const body = value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(UNSAFE, escapeChar);
    return `$'${body}'`;
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** argv as one pasteable, terminal-safe shell line. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
