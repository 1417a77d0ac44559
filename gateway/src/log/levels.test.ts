import { describe, expect, it } from 'vitest';
import { checkLevelSettings, levelFor, parseLevelSpec } from './levels.js';

describe('log levels', () => {
  it('parses TETHER_LOG_LEVEL with a default and subsystems', () => {
    expect(parseLevelSpec('info,channels=debug, agent=WARN')).toEqual({ settings: { level: 'info', subsystems: { channels: 'debug', agent: 'warn' } }, problems: [] });
  });

  it('skips bad entries and says why, keeping the good ones', () => {
    const { settings, problems } = parseLevelSpec('verbose,Chan nels=debug,agent=loud,mcp=error');
    expect(settings).toEqual({ subsystems: { mcp: 'error' } });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('"verbose" has no valid level (one of debug, info, warn, error, silent)');
    expect(problems[1]).toContain('is not a subsystem name');
  });

  it('env wins for what it names, then config; a child takes its parent level', () => {
    const env = parseLevelSpec('channels=debug').settings;
    const config = { level: 'warn' as const, subsystems: { agent: 'error' as const } };
    expect(levelFor('channels/telegram', env, config)).toBe('debug');
    expect(levelFor('agent', env, config)).toBe('error');
    expect(levelFor('gateway', env, config)).toBe('warn');
    expect(levelFor('agent', parseLevelSpec('info').settings, config)).toBe('info');
    expect(levelFor('gateway', {}, {})).toBe('info');
  });

  it('setLevels input is checked with the key named', () => {
    expect(() => checkLevelSettings({ level: 'loud' as never })).toThrow('logging.level must be one of');
    expect(() => checkLevelSettings({ subsystems: { agent: 'x' as never } })).toThrow('logging.subsystems.agent must be one of');
    expect(() => checkLevelSettings({ subsystems: { 'Bad Name': 'info' } })).toThrow('is not a subsystem name');
  });
});
