import { describe, expect, it } from 'vitest';
import { checkCommandPolicy, platformClass, unknownCommandNames } from './command-policy.js';

const config = (allow: string[] = [], deny: string[] = []) => ({ allowCommands: allow, denyCommands: deny, configPath: '/state/tether.json' });

describe('checkCommandPolicy', () => {
  it.each([
    ['linux default allows system.run', config(), 'system.run', 'linux', true, undefined],
    ['linux default allows camera.snap (approved per device instead)', config(), 'camera.snap', 'linux', true, undefined],
    ['unknown platform gets no system.run', config(), 'system.run', 'plan9', false, 'platform-default'],
    ['allowCommands adds a command', config(['file.write']), 'file.write', 'linux', true, undefined],
    ['a family wildcard in allowCommands', config(['file.*']), 'file.stat', 'linux', true, undefined],
    ['not in defaults and not allowed', config(), 'file.write', 'linux', false, 'platform-default'],
    ['deny wins over defaults', config([], ['system.run']), 'system.run', 'linux', false, 'denyCommands'],
    ['deny wins over allow', config(['file.write'], ['file.*']), 'file.write', 'linux', false, 'denyCommands'],
    ['mobile defaults have no system.run', config(), 'system.run', 'ios', false, 'platform-default'],
  ])('%s', (_name, policy, command, platform, allowed, rule) => {
    const decision = checkCommandPolicy(policy, command, platform);
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) {
      expect(decision.rule).toBe(rule);
      expect(decision.message).toContain(`"${command}"`);
      expect(decision.message).toContain('/state/tether.json');
      expect(decision.message).toContain(rule === 'denyCommands' ? 'remove it there' : 'add it to nodes.allowCommands');
    }
  });
});

describe('platformClass', () => {
  it.each([
    ['linux', undefined, 'linux'],
    ['darwin', undefined, 'macos'],
    ['macos', 'Mac', 'macos'],
    ['win32', undefined, 'windows'],
    ['iOS', 'iPhone', 'ios'],
    ['android', undefined, 'android'],
    [undefined, undefined, 'unknown'],
  ])('%s / %s → %s', (platform, family, expected) => {
    expect(platformClass(platform, family)).toBe(expected);
  });
});

describe('unknownCommandNames', () => {
  it('accepts known names and families, reports typos', () => {
    expect(unknownCommandNames(['camera.snap', 'camera.*', 'file.write'])).toEqual([]);
    expect(unknownCommandNames(['camera.snapp', 'nosuch.*', 'system.run'])).toEqual(['camera.snapp', 'nosuch.*']);
  });
});
