import { describe, expect, it } from 'vitest';
import { formatArgv, hasUnsafeChars, safeLabel, safeText, shellQuote } from './display.js';

describe('safeText', () => {
  it('escapes line separators, zero-width and other format characters that could fake or hide lines', () => {
    const sneaky = 'uptime\u2028program /usr/bin/uptime\u2029\u200bx\u2060\ufeff\u00ad\u{e0041}\u3164';
    const shown = safeText(sneaky);
    expect(shown).toBe('uptime\\u{2028}program /usr/bin/uptime\\u{2029}\\u{200b}x\\u{2060}\\u{feff}\\xad\\u{e0041}\\u{3164}');
    expect(hasUnsafeChars(sneaky)).toBe(true);
    expect(shellQuote('a\u2028b')).toBe("$'a\\u{2028}b'");
  });

  it.each([
    ['kitchen-pi', 'kitchen-pi'],
    ['x\x1b[8m\r\x1b[2K\nPaired', 'x\\x1b[8m\\x0d\\x1b[2K\\x0aPaired'],
    ['tab\there', 'tab\\x09here'],
    ['del\x7f c1\x9b', 'del\\x7f c1\\x9b'],
    ['evil\u202etxt.exe', 'evil\\u{202e}txt.exe'],
    ['iso\u2066late\u2069', 'iso\\u{2066}late\\u{2069}'],
    ['ünïcødé 日本', 'ünïcødé 日本'],
  ])('%j → %j', (input, expected) => {
    expect(safeText(input)).toBe(expected);
    expect(hasUnsafeChars(safeText(input))).toBe(false);
  });

  it('caps labels after escaping and falls back for empty names', () => {
    expect(safeLabel('a'.repeat(100), 10)).toBe(`${'a'.repeat(9)}…`);
    expect(safeLabel(undefined)).toBe('-');
    expect(safeLabel('\x1b', 64)).toBe('\\x1b');
  });
});

describe('shellQuote / formatArgv', () => {
  it.each([
    ['uname', 'uname'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['uname -a\x1b[8m; curl x|sh\x1b[0m', "$'uname -a\\x1b[8m; curl x|sh\\x1b[0m'"],
    ["a'\\\r", "$'a\\'\\\\\\x0d'"],
  ])('%j → %s', (input, expected) => expect(shellQuote(input)).toBe(expected));

  it('never lets a control character through', () => {
    const line = formatArgv(['sh', '-c', 'uname -a\x1b[8m; rm -rf ~\x1b[0m', '\r\u202e']);
    expect(hasUnsafeChars(line)).toBe(false);
    expect(line).toContain('rm -rf ~');
  });
});
