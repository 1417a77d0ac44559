/**
 * The starter list, checked without running anything: several of the refused commands would rename
 * this machine or set its clock if they ran. test/adversarial/exec-allowlist.test.ts runs the safe
 * ones and the file-reading ones for real through `tether up`.
 */
import { describe, expect, it } from 'vitest';
import { evaluateExecPolicy, type ExecPolicy } from '@tether/node-agent';
import { STARTER_ALLOWLIST } from './starter-allowlist.js';

const policy: ExecPolicy = {
  version: 1,
  security: 'allowlist',
  ask: 'off',
  allowlist: STARTER_ALLOWLIST.map((starter) => ({ path: `/usr/bin/${starter.name}`, name: starter.name, ...(starter.args ? { args: starter.args } : {}) })),
};

const decide = (argv: string[]) => {
  const [name, ...args] = argv as [string, ...string[]];
  return evaluateExecPolicy(policy, { path: `/usr/bin/${name}`, foundAt: `/usr/bin/${name}`, name, args });
};

describe('tether up’s starter allowlist', () => {
  it('holds uname, uptime, hostname, df and date, nothing else', () => {
    expect(STARTER_ALLOWLIST.map((s) => s.name)).toEqual(['uname', 'uptime', 'hostname', 'df', 'date']);
  });

  it.each([
    [['date', '-f', '/home/owner/.tether/gateway.token']], // prints the file's lines
    [['date', '--file=/etc/shadow']],
    [['date', '-r', '/home/owner/.ssh/id_ed25519']], // a file's time
    [['date', '-s', '2001-01-01']], // sets the clock
    [['date', '--set=2001-01-01']],
    [['date', '010100002001']], // POSIX form: sets the clock
    [['date', '+%s']], // harmless, but not listed: exact means exact
    [['date', '-u', '-f', 'x']],
    [['hostname', 'evil']], // renames the machine
    [['hostname', '-F', '/etc/shadow']], // reads a file
    [['hostname', '--file', '/etc/shadow']],
    [['hostname', '-b', 'evil']],
    [['df', '/dev/watchdog']], // opens the device
    [['df', '-h', '/run/some.fifo']],
    [['uptime', '/etc/passwd']],
  ])('refuses %j', (argv) => {
    expect(decide(argv)).toMatchObject({ action: 'deny', rule: 'allowlist-args-mismatch' });
  });

  it.each([[['uname']], [['uname', '-a']], [['uname', '--help']], [['uptime']], [['hostname']], [['df']], [['df', '-h']], [['date']], [['date', '-u']]])(
    'allows %j',
    (argv) => {
      expect(decide(argv)).toEqual({ action: 'allow', argv0: argv[0] });
    },
  );
});
