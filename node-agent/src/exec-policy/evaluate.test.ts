import { describe, expect, it } from 'vitest';
import { evaluateExecPolicy, shellQuote } from './evaluate.js';
import type { ExecSecurity } from './policy-file.js';

const UNAME = '/usr/bin/uname';

describe('evaluateExecPolicy', () => {
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
    const decision = evaluateExecPolicy({ version: 1, security, allowlist }, path);
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) {
      expect(decision.rule).toBe(rule);
      for (const part of messageParts) expect(decision.message).toContain(part);
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
