import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError, hasUnsafeChars } from '@tether/protocol';
import { CliError, formatTable, printLines, reportError, safeJson } from './output.js';

const FAKE_TABLE = 'x\x1b[8m\r\x1b[2K\nPaired (1)\nDEVICE NAME ROLES\n3f2a9c1b07de kitchen-pi node\x1b[0m';

function capture(stream: 'stdout' | 'stderr') {
  const chunks: string[] = [];
  vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return () => chunks.join('');
}

afterEach(() => vi.restoreAllMocks());

describe('formatTable', () => {
  it('escapes every cell, in every column, so a remote value stays on its row', () => {
    const lines = formatTable(['A', 'B', 'LAST'], [[FAKE_TABLE, 'ok', 'tail\x1b[2J'], ['plain', '\u202eevil', 'x']]);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(hasUnsafeChars(line)).toBe(false);
    expect(lines[1]).toContain('x\\x1b[8m\\x0d\\x1b[2K\\x0aPaired (1)');
    expect(lines[1]!.endsWith('tail\\x1b[2J')).toBe(true);
    expect(lines[2]).toContain('\\u{202e}evil');
  });

  it('measures widths after escaping, so columns line up with what is shown', () => {
    const [header, row] = formatTable(['NAME', 'X'], [['a\x1b', 'y']]);
    expect(header).toBe('NAME   X');
    expect(row).toBe('a\\x1b  y');
  });
});

describe('safeJson', () => {
  it('escapes C1 controls, DEL, bidi and line separators that JSON.stringify leaves raw, keeping the value', () => {
    const value = { name: 'a\x9b2Jb\x7fc\u202ed\u2066e\u2028f\x1bg', nested: ['\u200f'] };
    const text = safeJson(value);
    expect(hasUnsafeChars(text.replace(/\n/g, ''))).toBe(false);
    expect(text).not.toMatch(/[\u2028\u2029]/);
    expect(text).toContain('a\\u009b2Jb\\u007fc\\u202ed\\u2066e\\u2028f\\u001bg');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('prints null for undefined rather than nothing', () => {
    expect(safeJson(undefined)).toBe('null');
  });
});

describe('printLines', () => {
  it('escapes line breaks inside a line, so one value cannot add lines', () => {
    const out = capture('stdout');
    printLines([`Approved ${FAKE_TABLE}`, 'second']);
    expect(out().split('\n')).toEqual([expect.stringContaining('Approved x\\x1b[8m'), 'second', '']);
  });
});

describe('reportError', () => {
  it('prints a gateway message from another party as one escaped line', () => {
    const err = capture('stderr');
    const code = reportError(new GatewayError({ code: 'UNAVAILABLE', message: `boom\r\x1b[2Kfine\nfake`, details: { code: 'X\x1b' } }), false);
    expect(code).toBe(1);
    expect(err()).toBe('error: boom\\x0d\\x1b[2Kfine\\x0afake [X\\x1b]\n');
  });

  it('escapes CliError and unexpected errors alike, and keeps the exit code', () => {
    const err = capture('stderr');
    expect(reportError(new CliError('bad \x1b[8mhidden', 2, 'USAGE'), false)).toBe(2);
    expect(reportError(new Error('raw\u202e'), false)).toBe(1);
    expect(err()).toBe('error: bad \\x1b[8mhidden\nerror: raw\\u{202e}\n');
  });

  it('--json: a parseable error whose strings are escaped too', () => {
    const out = capture('stdout');
    reportError(new CliError('x\x9by', 1, 'INVALID_NODE_RESULT'), true);
    expect(out()).toContain('x\\u009by');
    expect(JSON.parse(out())).toEqual({ ok: false, error: { code: 'INVALID_NODE_RESULT', message: 'x\x9by' } });
  });
});
