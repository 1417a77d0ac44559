import { describe, expect, it } from 'vitest';
import { terminalSafeOutput, writeProgramOutput } from './program-output.js';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => (written.push(text), true) };
}

describe('writeProgramOutput', () => {
  const hostile = 'total 0\r\n\x1b[2K\x1b[1Ausername$ \tok\n';

  it('passes bytes through unchanged when piped (so redirects copy files exactly)', () => {
    const piped = stream(false);
    writeProgramOutput(piped, hostile);
    expect(piped.written).toEqual([hostile]);
  });

  it('escapes a remote program that tries to redraw the terminal, keeping newlines and tabs', () => {
    const tty = stream(true);
    writeProgramOutput(tty, hostile);
    expect(tty.written).toEqual(['total 0\n\\x1b[2K\\x1b[1Ausername$ \tok\n']);
  });

  it('writes nothing for empty output', () => {
    const tty = stream(true);
    writeProgramOutput(tty, '');
    expect(tty.written).toEqual([]);
  });

  it('escapes a lone carriage return and bidi overrides', () => {
    expect(terminalSafeOutput('safe\rrm -rf ~ \u202e')).toBe('safe\\x0drm -rf ~ \\u{202e}');
  });
});
