import { describe, expect, it } from 'vitest';
import { normalizeEntry, type AllowlistEntry, type AllowlistEntryInput } from './allowlist-entry.js';
import { evaluateExecPolicy, type ExecTarget } from './evaluate.js';
import type { ExecAsk, ExecPolicy, ExecSecurity } from './policy-file.js';

const UNAME = '/usr/bin/uname';
const BUSYBOX = '/usr/bin/busybox';

/** A run of `name` (found at foundAt, which resolves to path) with `args`. */
const target = (path: string, args: string[] = [], name = path.slice(path.lastIndexOf('/') + 1), foundAt = path): ExecTarget => ({ path, foundAt, name, args });
const policy = (security: ExecSecurity, ask: ExecAsk, allowlist: AllowlistEntryInput[]): ExecPolicy => ({ version: 1, security, ask, allowlist: allowlist.map(normalizeEntry) });

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
    const decision = evaluateExecPolicy(policy(security, 'off', allowlist), target(path));
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
    const decision = evaluateExecPolicy(policy(security, ask, listed ? [UNAME] : ['/bin/other']), target(UNAME));
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

describe('evaluateExecPolicy: an entry binds the binary to a name (multi-call binaries)', () => {
  const unameOnBusybox: AllowlistEntry = { path: BUSYBOX, name: 'uname' };

  it.each<[string, ExecTarget, 'allow' | 'allowlist-name-mismatch' | 'allowlist-miss']>([
    ['uname on PATH', target(BUSYBOX, ['-a'], 'uname', '/bin/uname'), 'allow'],
    ['sh on PATH, same busybox', target(BUSYBOX, ['-c', 'id'], 'sh', '/bin/sh'), 'allowlist-name-mismatch'],
    ['busybox itself with the applet as argv[1]', target(BUSYBOX, ['sh', '-c', 'id'], 'busybox', '/usr/bin/busybox'), 'allowlist-name-mismatch'],
    ['a different binary called uname', target('/opt/evil/uname', [], 'uname', '/opt/evil/uname'), 'allowlist-miss'],
  ])('%s → %s', (_name, run, expected) => {
    const decision = evaluateExecPolicy(policy('allowlist', 'off', [unameOnBusybox]), run);
    if (expected === 'allow') {
      expect(decision).toEqual({ action: 'allow', argv0: 'uname' });
    } else {
      expect(decision).toMatchObject({ action: 'deny', rule: expected });
    }
  });

  it('says what is allowed and the fix when the name differs', () => {
    const decision = evaluateExecPolicy(policy('allowlist', 'off', [unameOnBusybox, { path: BUSYBOX, name: 'df' }]), target(BUSYBOX, ['-c', 'id'], 'sh', '/bin/sh'));
    expect(decision).toEqual({
      action: 'deny',
      rule: 'allowlist-name-mismatch',
      message:
        "exec denied by rule allowlist-name-mismatch: /usr/bin/busybox is on this node's exec allowlist only as uname or df, " +
        'but here it is invoked as sh. A multi-call binary (busybox, toybox) runs the program its name says, so each name is ' +
        'allowed on its own. Run it as uname, or to allow it as sh, on the node run: tether node allow /bin/sh',
    });
  });

  it('a plain-path entry (the old file format) means the binary under its own basename', () => {
    const legacy = policy('allowlist', 'off', [BUSYBOX]);
    expect(evaluateExecPolicy(legacy, target(BUSYBOX, ['-c', 'id'], 'sh', '/bin/sh'))).toMatchObject({ action: 'deny', rule: 'allowlist-name-mismatch' });
    expect(evaluateExecPolicy(legacy, target(BUSYBOX, ['uname'], 'busybox'))).toEqual({ action: 'allow', argv0: 'busybox' });
  });

  it('under ask=on-miss a name mismatch asks, with the fix that would allow the name', () => {
    const decision = evaluateExecPolicy(policy('allowlist', 'on-miss', [unameOnBusybox]), target(BUSYBOX, [], 'sh', '/bin/sh'));
    expect(decision).toEqual({ action: 'ask', rule: 'ask=on-miss', ask: 'on-miss', fix: 'tether node allow /bin/sh' });
  });

  it('security=full spawns with the invoked name, never the caller\'s string', () => {
    expect(evaluateExecPolicy(policy('full', 'off', []), target(BUSYBOX, [], 'sh', '/tmp/x/sh'))).toEqual({ action: 'allow', argv0: 'sh' });
  });
});

describe('evaluateExecPolicy: argument restrictions', () => {
  const DATE = '/usr/bin/date';
  const entries: AllowlistEntry[] = [
    { path: DATE, name: 'date', args: { exact: [[], ['-u']] } },
    { path: '/usr/bin/git', name: 'git', args: { prefix: ['status'] } },
  ];

  it.each<[string, ExecTarget, boolean]>([
    ['date', target(DATE), true],
    ['date -u', target(DATE, ['-u']), true],
    ['date -f /etc/shadow', target(DATE, ['-f', '/etc/shadow']), false],
    ['date -u -f x (exact means the whole vector)', target(DATE, ['-u', '-f', 'x']), false],
    ['date -s 2001-01-01', target(DATE, ['-s', '2001-01-01']), false],
    ['date "" (an empty argument is an argument)', target(DATE, ['']), false],
    ['git status', target('/usr/bin/git', ['status']), true],
    ['git status --short', target('/usr/bin/git', ['status', '--short']), true],
    ['git', target('/usr/bin/git'), false],
    ['git statusx', target('/usr/bin/git', ['statusx']), false],
    ['git -c core.pager=sh status', target('/usr/bin/git', ['-c', 'core.pager=sh', 'status']), false],
  ])('%s → allowed=%s', (_name, run, allowed) => {
    const decision = evaluateExecPolicy(policy('allowlist', 'off', entries), run);
    if (allowed) expect(decision).toEqual({ action: 'allow', argv0: run.name });
    else expect(decision).toMatchObject({ action: 'deny', rule: 'allowlist-args-mismatch' });
  });

  it('names what is allowed and the exact command that would allow this run', () => {
    const decision = evaluateExecPolicy(policy('allowlist', 'off', entries), target(DATE, ['-f', '/tmp/a b']));
    expect(decision).toEqual({
      action: 'deny',
      rule: 'allowlist-args-mismatch',
      message:
        "exec denied by rule allowlist-args-mismatch: date (/usr/bin/date) is on this node's exec allowlist only with exactly: date | date -u, " +
        "but this run's arguments are -f '/tmp/a b'. To allow exactly this run, on the node run: tether node allow /usr/bin/date --exact -- -f '/tmp/a b'",
    });
  });

  it('several entries for one name add up, and an unrestricted one allows everything', () => {
    const both = policy('allowlist', 'off', [...entries, { path: DATE, name: 'date', args: { prefix: ['+%s'] } }]);
    expect(evaluateExecPolicy(both, target(DATE, ['+%s']))).toMatchObject({ action: 'allow' });
    expect(evaluateExecPolicy(both, target(DATE, ['-f', 'x']))).toMatchObject({ action: 'deny' });
    const open = policy('allowlist', 'off', [...entries, { path: DATE, name: 'date' }]);
    expect(evaluateExecPolicy(open, target(DATE, ['-f', 'x']))).toMatchObject({ action: 'allow' });
  });

  it('control characters in arguments are escaped in the message, never passed to a terminal', () => {
    const decision = evaluateExecPolicy(policy('allowlist', 'off', entries), target(DATE, ['\x1b[8m-s']));
    expect(decision.action).toBe('deny');
    if (decision.action === 'deny') {
      expect(decision.message).not.toContain('\x1b');
      expect(decision.message).toContain("$'\\x1b[8m-s'");
    }
  });
});
