import { describe, expect, it } from 'vitest';
import { getAtPath, parseConfigPath, setAtPath, unsetAtPath } from './config-path.js';

describe('config paths (hostile first)', () => {
  it('refuses segments that reach a prototype, in every position and form', () => {
    for (const path of ['__proto__', 'a.__proto__', 'a.constructor.prototype', 'constructor', 'nodes.prototype', 'a[0].__proto__']) {
      expect(() => parseConfigPath(path), path).toThrow(/refused: it could reach an object's prototype/);
    }
    const doc: Record<string, unknown> = {};
    expect(() => setAtPath(doc, parseConfigPath('__proto__.polluted'), true)).toThrow();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses malformed paths', () => {
    for (const path of ['', '.a', 'a.', 'a..b', '[0]', 'a[x]', 'a[-1]', 'a[0', 'a]', 'a b', 'a[0]b', 'a[99999999]', 'x'.repeat(600)]) {
      expect(() => parseConfigPath(path), JSON.stringify(path)).toThrow();
    }
  });

  it('parses dotted keys with indexes', () => {
    expect(parseConfigPath('channels.telegram.allowFrom[0]')).toEqual(['channels', 'telegram', 'allowFrom', 0]);
    expect(parseConfigPath('a[1][2].b')).toEqual(['a', 1, 2, 'b']);
  });

  it('gets own values only, sets without touching the input, appends at the end only, unsets', () => {
    const doc = { nodes: { denyCommands: ['a'] } };
    expect(getAtPath(doc, parseConfigPath('nodes.denyCommands[0]'))).toBe('a');
    expect(getAtPath(doc, parseConfigPath('nodes.toString'))).toBeUndefined();
    const next = setAtPath(doc, parseConfigPath('nodes.denyCommands[1]'), 'b');
    expect(next).toEqual({ nodes: { denyCommands: ['a', 'b'] } });
    expect(doc).toEqual({ nodes: { denyCommands: ['a'] } });
    expect(() => setAtPath(doc, parseConfigPath('nodes.denyCommands[5]'), 'x')).toThrow(/past the end of the list .* use index 1/);
    expect(() => setAtPath(doc, parseConfigPath('nodes.denyCommands.x'), 1)).toThrow(/is not an object/);
    expect(setAtPath({}, parseConfigPath('gateway.port'), 1)).toEqual({ gateway: { port: 1 } });
    expect(unsetAtPath(next, parseConfigPath('nodes.denyCommands[0]'))).toEqual({ nodes: { denyCommands: ['b'] } });
    expect(unsetAtPath(next, parseConfigPath('nodes.nothing'))).toBeUndefined();
  });
});
