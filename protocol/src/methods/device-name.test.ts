import { describe, expect, it } from 'vitest';
import { checkDisplayName, DISPLAY_NAME_MAX } from './device.js';

describe('checkDisplayName', () => {
  it('refuses control, format and separator characters instead of storing or stripping them', () => {
    for (const hostile of ['pi\x1b[2J', '\x1b]0;owned\x07', 'kitchen\u202egnp.exe', 'a\u200bb', 'two\u2028lines', 'nul\x00', 'bell\x07', 'tab\tinside', 'line\nbreak', 'pi\n', '\u3164', 'c1\u009b31m']) {
      const result = checkDisplayName(hostile);
      expect(result, JSON.stringify(hostile)).toMatchObject({ ok: false, reason: 'DISPLAY_NAME_UNSAFE' });
    }
  });

  it('refuses what renders as nothing or as anything: private use, unassigned, lone surrogates, the braille blank, wide spaces', () => {
    for (const hostile of ['pi\ue000', 'a\ud800b', 'pi\u{10ffff}', 'x\u0378y', '\u2800', 'laptop\u2003x', 'a\u00a0b', 'a\u3000b']) {
      expect(checkDisplayName(hostile), JSON.stringify(hostile)).toMatchObject({ ok: false, reason: 'DISPLAY_NAME_UNSAFE' });
    }
  });

  it('refuses empty and over-long names with their own codes', () => {
    expect(checkDisplayName('')).toMatchObject({ ok: false, reason: 'DISPLAY_NAME_EMPTY' });
    expect(checkDisplayName('   ')).toMatchObject({ ok: false, reason: 'DISPLAY_NAME_EMPTY' });
    expect(checkDisplayName('x'.repeat(DISPLAY_NAME_MAX + 1))).toMatchObject({ ok: false, reason: 'DISPLAY_NAME_TOO_LONG' });
    // Counted in characters, not UTF-16 units: 64 astral characters fit.
    expect(checkDisplayName('😀'.repeat(DISPLAY_NAME_MAX))).toMatchObject({ ok: true });
    expect(checkDisplayName('😀'.repeat(DISPLAY_NAME_MAX + 1))).toMatchObject({ ok: false, reason: 'DISPLAY_NAME_TOO_LONG' });
  });

  it('trims spaces and accepts markup as plain text (it is only ever rendered as text)', () => {
    expect(checkDisplayName('  Kitchen Pi  ')).toEqual({ ok: true, name: 'Kitchen Pi' });
    expect(checkDisplayName('<img src=x onerror=alert(1)>')).toEqual({ ok: true, name: '<img src=x onerror=alert(1)>' });
    expect(checkDisplayName('Küche 北')).toEqual({ ok: true, name: 'Küche 北' });
  });
});
