import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addAllowlistEntry, allowBinary, disallowBinary, withEntry } from './allowlist-edit.js';
import type { AllowlistEntry } from './allowlist-entry.js';
import { ExecPolicyError } from './errors.js';
import { execPolicyPath, readExecPolicy, writeExecPolicy } from './policy-file.js';

const DATE = '/usr/bin/date';
const open: AllowlistEntry = { path: DATE, name: 'date' };
const noArgs: AllowlistEntry = { path: DATE, name: 'date', args: { exact: [[]] } };
const utc: AllowlistEntry = { path: DATE, name: 'date', args: { exact: [['-u']] } };
const epoch: AllowlistEntry = { path: DATE, name: 'date', args: { prefix: ['+%s'] } };
const other: AllowlistEntry = { path: '/usr/bin/uname', name: 'uname' };

describe('withEntry (the merge rules of tether node allow)', () => {
  it('adds a new entry and keeps the others', () => {
    expect(withEntry([other], noArgs)).toEqual({ allowlist: [other, noArgs], result: { entry: noArgs, change: 'added' } });
  });

  it('adds an exact vector to the existing exact entry of that binary and name', () => {
    const merged = { path: DATE, name: 'date', args: { exact: [[], ['-u']] } };
    expect(withEntry([noArgs, other], utc)).toEqual({ allowlist: [merged, other], result: { entry: merged, change: 'extended' } });
    expect(withEntry([merged], utc).result.change).toBe('unchanged');
  });

  it('keeps prefixes as separate entries, and an identical one is unchanged', () => {
    expect(withEntry([noArgs], epoch).allowlist).toEqual([noArgs, epoch]);
    expect(withEntry([noArgs, epoch], epoch).result).toEqual({ entry: epoch, change: 'unchanged' });
  });

  it('an unrestricted entry replaces the restricted ones of that name (the union would be everything anyway)', () => {
    expect(withEntry([noArgs, other, epoch], open)).toEqual({ allowlist: [other, open], result: { entry: open, change: 'widened' } });
  });

  it('refuses a restriction on a name that is already unrestricted, and says how to restrict it', () => {
    let error: unknown;
    try {
      withEntry([open], noArgs);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ExecPolicyError);
    expect(error).toMatchObject({ code: 'ALREADY_UNRESTRICTED' });
    expect((error as Error).message).toBe(
      'date (/usr/bin/date) is already allowed with every argument, so a restriction would change nothing. To restrict it, first run: tether node disallow date, then this command again',
    );
  });

  it('the same binary under another name is a separate entry', () => {
    const asUname = { path: '/usr/bin/busybox', name: 'uname' };
    const asDf = { path: '/usr/bin/busybox', name: 'df', args: { exact: [[]] } };
    expect(withEntry([asUname], asDf).allowlist).toEqual([asUname, asDf]);
  });

  it('never changes its input', () => {
    const before = [noArgs, epoch];
    const copy = JSON.parse(JSON.stringify(before));
    withEntry(before, utc);
    withEntry(before, open);
    expect(before).toEqual(copy);
  });
});

describe('allowBinary / disallowBinary / addAllowlistEntry on the file', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'tether-allow-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));
  const realpathOf = (name: string): string => realpathSync(execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim());

  it('disallow removes every entry for that name and binary, and nothing else', async () => {
    await allowBinary(stateDir, 'date', { args: { exact: [[]] } });
    await allowBinary(stateDir, 'date', { args: { prefix: ['+%s'] } });
    await allowBinary(stateDir, 'uname');
    const removed = await disallowBinary(stateDir, 'date');
    expect(removed.map((entry) => entry.args)).toEqual([{ exact: [[]] }, { prefix: ['+%s'] }]);
    expect(readExecPolicy(stateDir).allowlist).toEqual([{ path: realpathOf('uname'), name: 'uname' }]);
  });

  it('disallow of something not listed fails with NOT_ON_ALLOWLIST and leaves the file alone', async () => {
    await allowBinary(stateDir, 'uname');
    const before = readFileSync(execPolicyPath(stateDir), 'utf8');
    await expect(disallowBinary(stateDir, 'date')).rejects.toMatchObject({ code: 'NOT_ON_ALLOWLIST', message: expect.stringContaining('tether node policy lists the entries') });
    expect(readFileSync(execPolicyPath(stateDir), 'utf8')).toBe(before);
  });

  it('disallow by name removes the entries of a binary that is gone', async () => {
    await writeExecPolicy(stateDir, { version: 1, security: 'allowlist', allowlist: [{ path: '/opt/gone/tool', name: 'gone-tool-xyz' }, other] });
    expect(await disallowBinary(stateDir, 'gone-tool-xyz')).toEqual([{ path: '/opt/gone/tool', name: 'gone-tool-xyz' }]);
    expect(readExecPolicy(stateDir).allowlist).toEqual([other]);
  });

  it('addAllowlistEntry (allow-always) records the name and binary with every argument, once', async () => {
    const entry = { path: '/usr/bin/busybox', name: 'uname' };
    expect(await addAllowlistEntry(stateDir, entry)).toEqual({ entry, change: 'added' });
    expect(await addAllowlistEntry(stateDir, entry)).toEqual({ entry, change: 'unchanged' });
    expect(readExecPolicy(stateDir).allowlist).toEqual([entry]);
  });

  it('an invalid policy is never written', async () => {
    await allowBinary(stateDir, 'uname');
    const before = readFileSync(execPolicyPath(stateDir), 'utf8');
    await expect(writeExecPolicy(stateDir, { version: 1, security: 'allowlist', allowlist: [{ path: '/usr/bin/x', name: 'a/b' }] })).rejects.toMatchObject({
      code: 'POLICY_INVALID',
    });
    expect(readFileSync(execPolicyPath(stateDir), 'utf8')).toBe(before);
  });
});
