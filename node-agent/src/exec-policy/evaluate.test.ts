import { describe, expect, it } from 'vitest';
import { evaluateExecPolicy, shellQuote } from './evaluate.js';
import type { ExecAsk, ExecSecurity } from './policy-file.js';

const UNAME = '/usr/bin/uname';

describe('evaluateExecPolicy without asking (ask=off)', () => {
  it.each<[ExecSecurity, string[], string, boolean, string | undefined, string[]]>([
    ['full', [], UNAME, true, undefined, []],
    ['full', ['/bin/other'], UNAME, true, undefined, []],
    ['allowlist', [UNAME], UNAME, true, undefined, []],
    ['allowlist', [], UNAME, false, 'allowlist-miss', [UNAME, 'tether node allow /usr/bin/uname']],
    ['allowlist', ['/usr/bin/unam'], UNAME, false, 'allowlist-miss', ['tether node allow /usr/bin/uname']],
    ['allowlist', ['/USR/BIN/UNAME'], UNAME, false, 'allowlist-miss', ['not in this node']],
    ['allowlist', ['/usr/bin'], UNAME, false, 'allowlist-miss', []],
    ['allowlist', ['uname'], UNAME, false, 'allowlist-miss', []],
    ['deny', [UNAME], UNAME, false, 'security=deny', [UNAME, 'tether node policy --security allowlist']],
    ['deny', [], UNAME, false, 'security=deny', ['security=deny']],
    ['allowlist', [], '/opt/my tools/run', false, 'allowlist-miss', ["tether node allow '/opt/my tools/run'"]],
  ])('security=%s allowlist=%j path=%s → allowed=%s rule=%s', (security, allowlist, path, allowed, rule, messageParts) => {
    const decision = evaluateExecPolicy({ version: 1, security, ask: 'off', allowlist }, path);
    expect(decision.action === 'allow').toBe(allowed);
    if (decision.action === 'deny') {
      expect(decision.rule).toBe(rule);
      expect(decision.message).toContain(`exec denied by rule ${rule}`);
      for (const part of messageParts) expect(decision.message).toContain(part);
    } else {
      expect(decision.action).toBe('allow');
    }
  });
});

describe('evaluateExecPolicy: (security, ask, allowlisted?) → allow | ask | deny', () => {
  const ALLOW = 'tether node allow /usr/bin/uname';
  it.each<[ExecSecurity, ExecAsk, boolean, 'allow' | 'ask' | 'deny', string | undefined, string | undefined]>([
    // security=deny never asks: an operator cannot override the owner.
    ['deny', 'off', false, 'deny', 'security=deny', 'tether node policy --security allowlist'],
    ['deny', 'off', true, 'deny', 'security=deny', 'tether node policy --security allowlist'],
    ['deny', 'on-miss', false, 'deny', 'security=deny', 'tether node policy --security allowlist'],
    ['deny', 'on-miss', true, 'deny', 'security=deny', 'tether node policy --security allowlist'],
    ['deny', 'always', false, 'deny', 'security=deny', 'tether node policy --security allowlist'],
    ['deny', 'always', true, 'deny', 'security=deny', 'tether node policy --security allowlist'],
    ['full', 'off', false, 'allow', undefined, undefined],
    ['full', 'off', true, 'allow', undefined, undefined],
    ['full', 'on-miss', false, 'allow', undefined, undefined],
    ['full', 'on-miss', true, 'allow', undefined, undefined],
    ['full', 'always', false, 'ask', 'ask=always', 'tether node policy --ask off'],
    ['full', 'always', true, 'ask', 'ask=always', 'tether node policy --ask off'],
    ['allowlist', 'off', false, 'deny', 'allowlist-miss', ALLOW],
    ['allowlist', 'off', true, 'allow', undefined, undefined],
    ['allowlist', 'on-miss', false, 'ask', 'ask=on-miss', ALLOW],
    ['allowlist', 'on-miss', true, 'allow', undefined, undefined],
    ['allowlist', 'always', false, 'ask', 'ask=always', `${ALLOW} && tether node policy --ask on-miss`],
    ['allowlist', 'always', true, 'ask', 'ask=always', 'tether node policy --ask on-miss'],
  ])('security=%s ask=%s allowlisted=%s → %s (%s)', (security, ask, listed, action, rule, fix) => {
    const decision = evaluateExecPolicy({ version: 1, security, ask, allowlist: listed ? [UNAME] : ['/bin/other'] }, UNAME);
    expect(decision.action).toBe(action);
    if (decision.action === 'ask') {
      expect(decision).toEqual({ action: 'ask', rule, ask, fix });
    } else if (decision.action === 'deny') {
      expect(decision.rule).toBe(rule);
      expect(decision.message).toContain(`rule ${rule}`);
      expect(decision.message).toContain(fix);
    }
  });
});

describe('shellQuote', () => {
  it.each([
    ['/usr/bin/uname', '/usr/bin/uname'],
    ['/opt/a b', "'/opt/a b'"],
    ["/opt/it's", "'/opt/it'\\''s'"],
  ])('%s → %s', (input, expected) => expect(shellQuote(input)).toBe(expected));
});
