import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allowBinary } from './allowlist-edit.js';
import { ExecPolicyError } from './errors.js';
import { execPolicyPath, readExecPolicy, setAsk, setSecurity, writeExecPolicy, type ExecAsk, type ExecSecurity } from './policy-file.js';

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'tether-policy-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const unameRealpath = (): string => realpathSync(execFileSync('sh', ['-c', 'command -v uname'], { encoding: 'utf8' }).trim());

describe('exec policy file', () => {
  it('defaults to allowlist with nothing allowed when the file is missing', () => {
    expect(readExecPolicy(stateDir)).toEqual({ version: 1, security: 'allowlist', ask: 'off', allowlist: [] });
  });

  it('round-trips and writes the file with mode 0600', async () => {
    const allowlist = [
      { path: '/usr/bin/busybox', name: 'uname' },
      { path: '/usr/bin/date', name: 'date', args: { exact: [[], ['-u']] } },
      { path: '/usr/bin/git', name: 'git', args: { prefix: ['status'] } },
    ];
    await writeExecPolicy(stateDir, { version: 1, security: 'full', ask: 'always', allowlist });
    expect(readExecPolicy(stateDir)).toEqual({ version: 1, security: 'full', ask: 'always', allowlist });
    expect(JSON.parse(readFileSync(execPolicyPath(stateDir), 'utf8')).allowlist).toEqual(allowlist);
    expect(statSync(execPolicyPath(stateDir)).mode & 0o777).toBe(0o600);
  });

  it('writes bare-path entries in the new shape, named after the basename', async () => {
    await writeExecPolicy(stateDir, { version: 1, security: 'allowlist', allowlist: ['/usr/bin/busybox'] });
    expect(JSON.parse(readFileSync(execPolicyPath(stateDir), 'utf8')).allowlist).toEqual([{ path: '/usr/bin/busybox', name: 'busybox' }]);
  });

  it('writes ask explicitly, as off when the caller leaves it out', async () => {
    await writeExecPolicy(stateDir, { version: 1, security: 'allowlist', allowlist: [] });
    expect(JSON.parse(readFileSync(execPolicyPath(stateDir), 'utf8'))).toEqual({ version: 1, security: 'allowlist', ask: 'off', allowlist: [] });
  });

  it('still loads a file written before ask and names existed: ask=off, each path under its own basename', () => {
    writeFileSync(execPolicyPath(stateDir), '{"version":1,"security":"allowlist","allowlist":["/usr/bin/uname","/usr/bin/busybox"]}');
    expect(readExecPolicy(stateDir)).toEqual({
      version: 1,
      security: 'allowlist',
      ask: 'off',
      allowlist: [{ path: '/usr/bin/uname', name: 'uname' }, { path: '/usr/bin/busybox', name: 'busybox' }],
    });
  });

  it('setAsk round-trips every mode, keeps security and the allowlist, and rejects unknown modes', async () => {
    const { entry } = await allowBinary(stateDir, 'uname');
    await setSecurity(stateDir, 'full');
    for (const ask of ['on-miss', 'always', 'off'] as const) {
      await setAsk(stateDir, ask);
      expect(readExecPolicy(stateDir)).toEqual({ version: 1, security: 'full', ask, allowlist: [entry] });
    }
    await setAsk(stateDir, 'on-miss');
    await setSecurity(stateDir, 'allowlist');
    expect(readExecPolicy(stateDir).ask).toBe('on-miss');
    await expect(setAsk(stateDir, 'sometimes' as ExecAsk)).rejects.toThrow(/use one of off, on-miss, always/);
    expect(readExecPolicy(stateDir).ask).toBe('on-miss');
  });

  it('allowBinary binds a bare name to its realpath and does not add it twice', async () => {
    const first = await allowBinary(stateDir, 'uname');
    expect(first).toEqual({ entry: { path: unameRealpath(), name: 'uname' }, change: 'added' });
    const second = await allowBinary(stateDir, unameRealpath());
    expect(second).toEqual({ entry: first.entry, change: 'unchanged' });
    expect(readExecPolicy(stateDir).allowlist).toEqual([first.entry]);
    expect(statSync(execPolicyPath(stateDir)).mode & 0o777).toBe(0o600);
  });

  it('allowBinary follows symlinks to the real file, and names the entry after the link', async () => {
    const link = join(stateDir, 'my-uname');
    execFileSync('ln', ['-s', unameRealpath(), link]);
    expect((await allowBinary(stateDir, link)).entry).toEqual({ path: unameRealpath(), name: 'my-uname' });
  });

  it('allowBinary records an argument restriction and refuses a malformed one', async () => {
    const { entry } = await allowBinary(stateDir, 'uname', { args: { exact: [[]] } });
    expect(entry).toEqual({ path: unameRealpath(), name: 'uname', args: { exact: [[]] } });
    await expect(allowBinary(stateDir, 'uname', { args: { prefix: [] } })).rejects.toThrow(/"args.prefix" must be a non-empty array/);
    expect(readExecPolicy(stateDir).allowlist).toEqual([entry]);
  });

  it('allowBinary searches the given PATH only', async () => {
    await expect(allowBinary(stateDir, 'uname', { pathEnv: stateDir })).rejects.toThrow(/cannot allow uname: command not found/);
  });

  it('allowBinary refuses missing and non-executable files', async () => {
    await expect(allowBinary(stateDir, 'definitely-not-a-command-xyz')).rejects.toThrow(/command not found/);
    const plain = join(stateDir, 'data.txt');
    writeFileSync(plain, 'x', { mode: 0o644 });
    await expect(allowBinary(stateDir, plain)).rejects.toThrow(/not an executable file/);
    expect(readExecPolicy(stateDir).allowlist).toEqual([]);
  });

  it('setSecurity keeps the allowlist and rejects unknown levels', async () => {
    const { entry } = await allowBinary(stateDir, 'uname');
    await setSecurity(stateDir, 'deny');
    expect(readExecPolicy(stateDir)).toEqual({ version: 1, security: 'deny', ask: 'off', allowlist: [entry] });
    await expect(setSecurity(stateDir, 'open' as ExecSecurity)).rejects.toThrow(/use one of deny, allowlist, full/);
  });

  it.each([
    ['not JSON', '{nope', /not valid JSON/],
    ['wrong security', '{"version":1,"security":"yes","allowlist":[]}', /"security" must be one of/],
    ['wrong ask', '{"version":1,"security":"allowlist","ask":"yes","allowlist":[]}', /"ask" must be one of "off", "on-miss", "always"/],
    ['wrong version', '{"version":2,"security":"full","allowlist":[]}', /"version" must be 1/],
    ['relative entry', '{"version":1,"security":"allowlist","allowlist":["uname"]}', /"allowlist\[0\]" must be an absolute path/],
    ['entry without a name', '{"version":1,"security":"allowlist","allowlist":[{"path":"/usr/bin/uname"}]}', /"allowlist\[0\].name" must be a non-empty string \(found undefined\); it is the name command\[0\] must have/],
    ['name with a slash', '{"version":1,"security":"allowlist","allowlist":[{"path":"/usr/bin/uname","name":"bin/uname"}]}', /"allowlist\[0\].name" must be a bare program name/],
    ['relative entry path', '{"version":1,"security":"allowlist","allowlist":[{"path":"uname","name":"uname"}]}', /"allowlist\[0\].path" must be the binary's absolute realpath/],
    ['typo in an entry', '{"version":1,"security":"allowlist","allowlist":["/bin/true",{"path":"/usr/bin/uname","name":"uname","arg":{}}]}', /unknown key\(s\) "arg" in "allowlist\[1\]"/],
    ['args with both kinds', '{"version":1,"security":"allowlist","allowlist":[{"path":"/usr/bin/df","name":"df","args":{"exact":[[]],"prefix":["-h"]}}]}', /"allowlist\[0\].args" must have exactly one key, "exact" or "prefix"/],
    ['empty exact', '{"version":1,"security":"allowlist","allowlist":[{"path":"/usr/bin/df","name":"df","args":{"exact":[]}}]}', /"allowlist\[0\].args.exact" must be a non-empty array of argument vectors/],
    ['exact not a vector', '{"version":1,"security":"allowlist","allowlist":[{"path":"/usr/bin/df","name":"df","args":{"exact":["-h"]}}]}', /"allowlist\[0\].args.exact\[0\]" must be an array of strings/],
    ['number argument', '{"version":1,"security":"allowlist","allowlist":[{"path":"/usr/bin/df","name":"df","args":{"prefix":["-h",1]}}]}', /"allowlist\[0\].args.prefix\[1\]" must be a string/],
    ['empty prefix', '{"version":1,"security":"allowlist","allowlist":[{"path":"/usr/bin/df","name":"df","args":{"prefix":[]}}]}', /an empty prefix would allow every argument/],
    ['typo key', '{"version":1,"security":"allowlist","allowList":[]}', /unknown key\(s\) "allowList"/],
    ['array', '[]', /must be a JSON object/],
  ])('a bad file (%s) fails with the file name and the fix', (_name, text, why) => {
    writeFileSync(execPolicyPath(stateDir), text);
    let message = '';
    try {
      readExecPolicy(stateDir);
    } catch (error) {
      expect(error).toBeInstanceOf(ExecPolicyError);
      expect((error as ExecPolicyError).code).toBe('POLICY_FILE_INVALID');
      message = (error as Error).message;
    }
    expect(message).toMatch(why);
    expect(message).toContain(execPolicyPath(stateDir));
    expect(message).toContain('delete it to reset');
  });
});
