import { describe, expect, it } from 'vitest';
import { safeText } from '@tether/protocol';
import { formatRecord, jsonLine, parseLogsFlags } from './logs.js';

describe('tether logs', () => {
  it('prints a record like the gateway stderr, with time and subsystem, escaped', () => {
    expect(formatRecord({ ts: 'T', level: 'info', subsystem: 'gateway', msg: 'listening' })).toBe('T [gateway] listening');
    const withField = { ts: 'T', level: 'warn' as const, subsystem: 'channels', msg: 'x\x1b[2Jy\nz', chat: 4 };
    expect(safeText(formatRecord(withField))).toBe('T [channels] warn: x\\x1b[2Jy\\x0az chat=4');
    const line = jsonLine({ ts: 'T', level: 'info', subsystem: 'gateway', msg: 'a\u202eb\x9bc' });
    expect(safeText(line)).toBe(line);
    expect(JSON.parse(line)).toMatchObject({ msg: 'a\u202eb\x9bc' });
  });

  it('checks its flags', () => {
    expect(parseLogsFlags({ lines: '100' })).toEqual({ lines: 100, follow: false });
    expect(parseLogsFlags({ lines: '5', level: 'WARN', subsystem: 'channels/telegram', follow: true })).toEqual({ lines: 5, level: 'warn', subsystem: 'channels/telegram', follow: true });
    expect(() => parseLogsFlags({ lines: '0' })).toThrow('--lines must be a whole number from 1 to 1000');
    expect(() => parseLogsFlags({ lines: '1.5' })).toThrow('--lines');
    expect(() => parseLogsFlags({ lines: '1', level: 'silent' })).toThrow('--level must be one of debug, info, warn, error');
    expect(() => parseLogsFlags({ lines: '1', subsystem: '../x' })).toThrow('--subsystem must be');
  });
});
