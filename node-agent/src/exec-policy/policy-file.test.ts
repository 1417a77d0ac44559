import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allowBinary, execPolicyPath, readExecPolicy, setAsk, setSecurity, writeExecPolicy, type ExecAsk, type ExecSecurity } from './policy-file.js';

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
    await writeExecPolicy(stateDir, { version: 1, security: 'full', ask: 'always', allowlist: ['/bin/true'] });
    expect(readExecPolicy(stateDir)).toEqual({ version: 1, security: 'full', ask: 'always', allowlist: ['/bin/true'] });
    expect(statSync(execPolicyPath(stateDir)).mode & 0o777).toBe(0o600);
  });

  it('writes ask explicitly, as off when the caller leaves it out', async () => {
    await writeExecPolicy(stateDir, { version: 1, security: 'allowlist', allowlist: [] });
    expect(JSON.parse(readFileSync(execPolicyPath(stateDir), 'utf8'))).toEqual({ version: 1, security: 'allowlist', ask: 'off', allowlist: [] });
  });

  it('still loads a file written before ask existed, as ask=off', () => {
    writeFileSync(execPolicyPath(stateDir), '{"version":1,"security":"allowlist","allowlist":["/usr/bin/uname"]}');
    expect(readExecPolicy(stateDir)).toEqual({ version: 1, security: 'allowlist', ask: 'off', allowlist: ['/usr/bin/uname'] });
  });

  it('setAsk round-trips every mode, keeps security and the allowlist, and rejects unknown modes', async () => {
    const path = await allowBinary(stateDir, 'uname');
    await setSecurity(stateDir, 'full');
    for (const ask of ['on-miss', 'always', 'off'] as const) {
      await setAsk(stateDir, ask);
      expect(readExecPolicy(stateDir)).toEqual({ version: 1, security: 'full', ask, allowlist: [path] });
    }
    await setAsk(stateDir, 'on-miss');
    await setSecurity(stateDir, 'allowlist');
    expect(readExecPolicy(stateDir).ask).toBe('on-miss');
    await expect(setAsk(stateDir, 'sometimes' as ExecAsk)).rejects.toThrow(/use one of off, on-miss, always/);
    expect(readExecPolicy(stateDir).ask).toBe('on-miss');
  });

  it('allowBinary resolves a bare name to its realpath and does not add it twice', async () => {
    const first = await allowBinary(stateDir, 'uname');
    expect(first).toBe(unameRealpath());
    const second = await allowBinary(stateDir, first);
    expect(second).toBe(first);
    expect(readExecPolicy(stateDir).allowlist).toEqual([first]);
    expect(statSync(execPolicyPath(stateDir)).mode & 0o777).toBe(0o600);
  });

  it('allowBinary follows symlinks to the real file', async () => {
    const link = join(stateDir, 'my-uname');
    execFileSync('ln', ['-s', unameRealpath(), link]);
    expect(await allowBinary(stateDir, link)).toBe(unameRealpath());
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
    const path = await allowBinary(stateDir, 'uname');
    await setSecurity(stateDir, 'deny');
    expect(readExecPolicy(stateDir)).toEqual({ version: 1, security: 'deny', ask: 'off', allowlist: [path] });
    await expect(setSecurity(stateDir, 'open' as ExecSecurity)).rejects.toThrow(/use one of deny, allowlist, full/);
  });

  it.each([
    ['not JSON', '{nope', /not valid JSON/],
    ['wrong security', '{"version":1,"security":"yes","allowlist":[]}', /"security" must be one of/],
    ['wrong ask', '{"version":1,"security":"allowlist","ask":"yes","allowlist":[]}', /"ask" must be one of "off", "on-miss", "always"/],
    ['wrong version', '{"version":2,"security":"full","allowlist":[]}', /"version" must be 1/],
    ['relative entry', '{"version":1,"security":"allowlist","allowlist":["uname"]}', /allowlist\[0\]" must be an absolute path/],
    ['typo key', '{"version":1,"security":"allowlist","allowList":[]}', /unknown key\(s\) "allowList"/],
    ['array', '[]', /must be a JSON object/],
  ])('a bad file (%s) fails with the file name and the fix', (_name, text, why) => {
    writeFileSync(execPolicyPath(stateDir), text);
    let message = '';
    try {
      readExecPolicy(stateDir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(why);
    expect(message).toContain(execPolicyPath(stateDir));
    expect(message).toContain('delete it to reset');
  });
});
