import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecApprovalRequestParams, SystemRunResult, SystemWhichResult } from '@tether/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AskGateway } from '../exec-policy/ask.js';
import { allowBinary } from '../exec-policy/allowlist-edit.js';
import { execPolicyPath, readExecPolicy, writeExecPolicy, type ExecAsk, type ExecSecurity } from '../exec-policy/policy-file.js';
import { searchPath } from '../exec-policy/resolve.js';
import { CommandError } from './capability.js';
import { createSystemProvider, DEFAULT_ASK_TIMEOUT_MS } from './system.js';
import { rejectionOf } from '../../../test/helpers/rejection.js';

let stateDir: string;
beforeEach(() => {
  stateDir = realpathSync(mkdtempSync(join(tmpdir(), 'tether-system-')));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const setPolicy = (security: ExecSecurity, allowlist: string[] = []): Promise<void> =>
  writeExecPolicy(stateDir, { version: 1, security, allowlist });

function run(params: unknown, signal = new AbortController().signal): Promise<SystemRunResult> {
  return createSystemProvider({ stateDir }).run('system.run', params, signal) as Promise<SystemRunResult>;
}

const failure = (promise: Promise<unknown>) => rejectionOf(promise, CommandError);

/** Running or sleeping; a zombie (killed, not yet reaped by init) counts as dead. */
function isAlive(pid: number): boolean {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
  } catch {
    return false; // ps exits 1 when there is no such process
  }
}

describe('system.run with security=full', () => {
  beforeEach(() => setPolicy('full'));

  it('runs uname -s', async () => {
    const result = await run({ command: ['uname', '-s'] });
    expect(result).toEqual({
      exitCode: 0, timedOut: false, success: true, truncated: false, error: null, stderr: '',
      stdout: process.platform === 'darwin' ? 'Darwin\n' : 'Linux\n',
    });
  });

  it('propagates a nonzero exit code and stderr', async () => {
    const result = await run({ command: ['sh', '-c', 'echo oops >&2; exit 3'] });
    expect(result).toMatchObject({ exitCode: 3, success: false, timedOut: false, error: null, stderr: 'oops\n' });
  });

  it('kills at the deadline, with everything the command started', async () => {
    const started = Date.now();
    const result = await run({ command: ['sh', '-c', 'sleep 30 & echo $!; sleep 5'], timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ timedOut: true, exitCode: null, success: false });
    expect(result.error).toMatch(/^killed by SIGKILL after timeout/);
    const grandchild = Number(result.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(isAlive(grandchild)).toBe(false);
  });

  it('times out a plain sleep in well under 2 s', async () => {
    const started = Date.now();
    const result = await run({ command: ['sleep', '5'], timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.timedOut).toBe(true);
  });

  it('caps stdout+stderr at 200 000 bytes combined and marks the result truncated', async () => {
    const script = "process.stdout.write('o'.repeat(150000)); process.stderr.write('e'.repeat(150000));";
    const result = await run({ command: [process.execPath, '-e', script] });
    expect(result).toMatchObject({ exitCode: 0, truncated: true, success: true });
    expect(Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr)).toBe(200_000);
  });

  it('truncates 300k characters of stdout to 200 000 bytes', async () => {
    const result = await run({ command: [process.execPath, '-e', "process.stdout.write('x'.repeat(300000))"] });
    expect(result.truncated).toBe(true);
    expect(result.stdout).toBe('x'.repeat(200_000));
  });

  it('never cuts inside a UTF-8 character', async () => {
    // 1 + 3×100 000 bytes: the 200 000-byte cut falls in the middle of a '€'.
    const result = await run({ command: [process.execPath, '-e', "process.stdout.write('x' + '€'.repeat(100000))"] });
    expect(result.truncated).toBe(true);
    expect(result.stdout).toBe(`x${'€'.repeat(66_666)}`);
  });

  it('honours cwd, and rejects a missing one', async () => {
    expect((await run({ command: ['pwd'], cwd: stateDir })).stdout).toBe(`${stateDir}\n`);
    const error = await failure(run({ command: ['pwd'], cwd: join(stateDir, 'missing') }));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(/^cwd does not exist: /);
    writeFileSync(join(stateDir, 'file'), '');
    expect((await failure(run({ command: ['pwd'], cwd: join(stateDir, 'file') }))).message).toMatch(/^cwd is not a directory/);
  });

  it('passes request env and rejects LD_PRELOAD without running anything', async () => {
    expect((await run({ command: ['env'], env: { FOO: 'bar' } })).stdout.split('\n')).toContain('FOO=bar');
    const marker = join(stateDir, 'ran');
    const error = await failure(run({ command: ['touch', marker], env: { LD_PRELOAD: '/tmp/evil.so' } }));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('LD_PRELOAD');
    expect(existsSync(marker)).toBe(false);
  });

  it('rejects bad params and unknown commands with INVALID_REQUEST', async () => {
    const bad = await failure(run({ command: [] }));
    expect(bad.code).toBe('INVALID_REQUEST');
    expect(bad.message).toMatch(/^invalid system.run params: command: /);
    expect((await failure(run({ command: ['ls'], shell: true }))).message).toContain('unexpected property "shell"');
    const missing = await failure(run({ command: ['no-such-command-xyz'] }));
    expect(missing.code).toBe('INVALID_REQUEST');
    expect(missing.message).toMatch(/^command not found: no-such-command-xyz \(searched PATH /);
  });

  it('resolves a relative path against cwd and spawns with argv[0] = its basename, never the string as written', async () => {
    // Finding 2: the caller's argv[0] used to reach the child, and a multi-call binary runs whatever it names.
    symlinkSync(process.execPath, join(stateDir, 'mynode'));
    const result = await run({ command: ['./mynode', '-e', 'console.log(process.argv0)'], cwd: stateDir });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'mynode\n' });
    const normalised = await run({ command: ['./x/../mynode', '-e', 'console.log(process.argv0)'], cwd: stateDir });
    expect(normalised).toMatchObject({ exitCode: 0, stdout: 'mynode\n' });
  });

  it('stops a run when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const result = await run({ command: ['sleep', '10'] }, controller.signal);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ exitCode: null, success: false, timedOut: false, error: 'cancelled: killed by SIGKILL' });
  });
});

describe('system.run exec policy', () => {
  it('runs allowlisted binaries and refuses others without spawning them', async () => {
    const uname = await allowBinary(stateDir, 'uname');
    expect((await run({ command: ['uname', '-s'] })).exitCode).toBe(0);

    const marker = join(stateDir, 'x');
    const error = await failure(run({ command: ['touch', marker] }));
    expect(error.code).toBe('EXEC_DENIED');
    const foundAt = (await searchPath('touch', process.env.PATH ?? '')) ?? 'touch';
    const touch = realpathSync(foundAt);
    // The fix names the path as found, so the entry it makes carries the name "touch".
    expect(error.message).toContain(`To allow it, on the node run: tether node allow ${foundAt}`);
    expect(error.details).toEqual({ rule: 'allowlist-miss', path: touch, name: 'touch' });
    expect(existsSync(marker)).toBe(false);
    expect(uname.entry.path).not.toBe(touch);
  });

  it('reads the policy fresh on every run', async () => {
    const provider = createSystemProvider({ stateDir });
    const signal = new AbortController().signal;
    await expect(provider.run('system.run', { command: ['uname'] }, signal)).rejects.toMatchObject({ code: 'EXEC_DENIED' });
    await allowBinary(stateDir, 'uname');
    await expect(provider.run('system.run', { command: ['uname'] }, signal)).resolves.toMatchObject({ exitCode: 0 });
    await setPolicy('deny', [realpathSync(execFileSync('sh', ['-c', 'command -v uname'], { encoding: 'utf8' }).trim())]);
    const denied = await failure(provider.run('system.run', { command: ['uname'] }, signal));
    expect(denied).toMatchObject({ code: 'EXEC_DENIED', details: { rule: 'security=deny' } });
    expect(denied.message).toContain('tether node policy --security allowlist');
  });

  it('an entry restricted to no arguments runs `date` but refuses `date -f <secret>` without running it', async () => {
    // Finding 3: GNU date -f FILE prints each line of FILE in its error message.
    const secret = join(stateDir, 'secret');
    writeFileSync(secret, 'TOKEN-5f1b9c\n');
    await allowBinary(stateDir, 'date', { args: { exact: [[]] } });
    expect((await run({ command: ['date'] })).exitCode).toBe(0);
    const error = await failure(run({ command: ['date', '-f', secret] }));
    expect(error).toMatchObject({ code: 'EXEC_DENIED', details: { rule: 'allowlist-args-mismatch', name: 'date' } });
    expect(error.message).toContain('only with exactly: date,');
    expect(error.message).not.toContain('TOKEN-5f1b9c');
  });

  it('a prefix entry allows what follows the prefix and nothing else', async () => {
    await allowBinary(stateDir, 'printf', { args: { prefix: ['%s-'] } });
    expect((await run({ command: ['printf', '%s-', 'a', 'b'] })).stdout).toBe('a-b-');
    expect(await failure(run({ command: ['printf', 'x'] }))).toMatchObject({ details: { rule: 'allowlist-args-mismatch' } });
  });

  it('fails closed when the policy file is broken', async () => {
    writeFileSync(execPolicyPath(stateDir), '{"security":');
    const error = await failure(run({ command: ['uname'] }));
    expect(error.code).toBe('EXEC_DENIED');
    expect(error.message).toContain(execPolicyPath(stateDir));
  });
});

/** A PATH we control: `uname`, `sh` and `busybox` are symlinks to the real busybox, as on Alpine or OpenWrt. */
const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));

describe.skipIf(BUSYBOX === undefined)('system.run on a multi-call binary (busybox)', () => {
  let farm: string;
  beforeEach(() => {
    farm = join(stateDir, 'farm');
    mkdirSync(farm);
    for (const name of ['uname', 'sh', 'busybox', 'date']) symlinkSync(BUSYBOX as string, join(farm, name));
  });
  const runOn = (params: unknown): Promise<SystemRunResult> =>
    createSystemProvider({ stateDir, pathEnv: farm }).run('system.run', params, new AbortController().signal) as Promise<SystemRunResult>;
  const allowOnFarm = (name: string): Promise<unknown> => allowBinary(stateDir, name, { pathEnv: farm });

  it.each([
    ['sh by name', (): string[] => ['sh', '-c', `echo PWNED > ${join(stateDir, 'pwned')}`], 'sh'],
    ['the farm busybox path + applet', (): string[] => [join(farm, 'busybox'), 'sh', '-c', `echo PWNED > ${join(stateDir, 'pwned')}`], 'busybox'],
    ['the real busybox path + applet', (): string[] => [realpathSync(BUSYBOX as string), 'sh', '-c', `echo PWNED > ${join(stateDir, 'pwned')}`], 'busybox'],
    ['a relative path to sh', (): string[] => ['./farm/sh', '-c', `echo PWNED > ${join(stateDir, 'pwned')}`], 'sh'],
    ['a path that normalises to sh', (): string[] => ['farm/uname/../sh', '-c', `echo PWNED > ${join(stateDir, 'pwned')}`], 'sh'],
  ])('allowing uname does not allow a shell: %s is refused (allowlist-name-mismatch) and nothing runs', async (_name, command, invokedAs) => {
    await setPolicy('allowlist');
    await allowOnFarm('uname');
    const error = await failure(runOn({ command: command(), cwd: stateDir }));
    expect(error.code).toBe('EXEC_DENIED');
    expect(error.details).toMatchObject({ rule: 'allowlist-name-mismatch', path: realpathSync(BUSYBOX as string), name: invokedAs });
    expect(error.message).toContain('only as uname');
    expect(error.message).toContain(`invoked as ${invokedAs}`);
    expect(existsSync(join(stateDir, 'pwned'))).toBe(false);
  });

  it('uname -a runs, as uname, by name and through a path whose basename is uname', async () => {
    await setPolicy('allowlist');
    await allowOnFarm('uname');
    const byName = await runOn({ command: ['uname', '-s'] });
    expect(byName).toMatchObject({ exitCode: 0, stdout: 'Linux\n' });
    expect((await runOn({ command: [join(farm, 'uname'), '-s'] })).stdout).toBe('Linux\n');
    // busybox uname --help names the applet it ran: argv0 was "uname", not what the caller wrote.
    expect((await runOn({ command: ['./farm/uname', '--help'], cwd: stateDir })).stderr).toMatch(/Usage: uname /);
  });

  it('an entry for busybox itself does not allow its applets under other names', async () => {
    await setPolicy('allowlist');
    await allowOnFarm('busybox');
    const error = await failure(runOn({ command: ['sh', '-c', `touch ${join(stateDir, 'pwned')}`] }));
    expect(error.details).toMatchObject({ rule: 'allowlist-name-mismatch', name: 'sh' });
    expect(error.message).toContain('only as busybox');
    expect(existsSync(join(stateDir, 'pwned'))).toBe(false);
  });
});

describe('system.which', () => {
  const which = (params: unknown, pathEnv?: string): Promise<SystemWhichResult> =>
    createSystemProvider(pathEnv === undefined ? { stateDir } : { stateDir, pathEnv }).run(
      'system.which', params, new AbortController().signal,
    ) as Promise<SystemWhichResult>;

  it('finds sh and omits names that are not on PATH', async () => {
    const result = await which({ bins: ['sh', 'no-such-bin-xyz'] });
    expect(Object.keys(result.bins)).toEqual(['sh']);
    expect(result.bins.sh).toMatch(/^\/.*\/sh$/);
    expect(execFileSync(result.bins.sh as string, ['-c', 'echo ok'], { encoding: 'utf8' })).toBe('ok\n');
  });

  it('searches the configured PATH only, and skips non-executable files', async () => {
    writeFileSync(join(stateDir, 'tool'), '#!/bin/sh\n', { mode: 0o644 });
    expect(await which({ bins: ['sh', 'tool'] }, stateDir)).toEqual({ bins: {} });
  });

  it('rejects paths and bad params', async () => {
    expect(await failure(which({ bins: ['/bin/sh'] }))).toMatchObject({ code: 'INVALID_REQUEST' });
    expect((await failure(which({ bins: [] }))).message).toMatch(/^invalid system.which params: /);
  });
});

describe('system provider', () => {
  it('detects child_process on Linux and macOS and refuses other commands', async () => {
    const provider = createSystemProvider({ stateDir });
    expect(await provider.detect()).toEqual({ available: true, backend: 'child_process' });
    await expect(provider.run('system.nope', {}, new AbortController().signal)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('system.run asking an operator', () => {
  const touchPath = (): string => realpathSync(execFileSync('sh', ['-c', 'command -v touch'], { encoding: 'utf8' }).trim());

  /** A gateway stand-in: records what was asked and answers with `answer` (or calls it). */
  function fakeGateway(answer: unknown | ((request: ExecApprovalRequestParams) => Promise<unknown>)) {
    const asked: ExecApprovalRequestParams[] = [];
    const askGateway: AskGateway = async (request) => {
      asked.push(request);
      return typeof answer === 'function' ? (answer as (r: ExecApprovalRequestParams) => Promise<unknown>)(request) : answer;
    };
    return { asked, askGateway };
  }

  const runWith = (askGateway: AskGateway | undefined, params: unknown, signal = new AbortController().signal): Promise<SystemRunResult> =>
    createSystemProvider(askGateway ? { stateDir, askGateway } : { stateDir }).run('system.run', params, signal) as Promise<SystemRunResult>;

  const setAskPolicy = (security: ExecSecurity, ask: ExecAsk, allowlist: string[] = []): Promise<void> =>
    writeExecPolicy(stateDir, { version: 1, security, ask, allowlist });

  it('allow-once runs exactly what was asked, and leaves the allowlist alone', async () => {
    await setAskPolicy('allowlist', 'on-miss');
    const marker = join(stateDir, 'once');
    const gateway = fakeGateway({ id: 'a-1', decision: 'allow-once', reason: 'operator' });
    const result = await runWith(gateway.askGateway, { command: ['touch', marker], cwd: stateDir, timeoutMs: 1_500 });
    expect(result.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(gateway.asked).toEqual([{ command: 'system.run', argv: ['touch', marker], cwd: stateDir, resolvedPath: touchPath(), timeoutMs: 1_500 }]);
    expect(readExecPolicy(stateDir).allowlist).toEqual([]);
  });

  it('asks with the node cwd and the default 60 s when the run sets neither', async () => {
    await setAskPolicy('allowlist', 'on-miss');
    const gateway = fakeGateway({ id: 'a-2', decision: 'allow-once' });
    await runWith(gateway.askGateway, { command: ['touch', join(stateDir, 'd')] });
    expect(gateway.asked[0]).toMatchObject({ cwd: process.cwd(), timeoutMs: DEFAULT_ASK_TIMEOUT_MS });
  });

  it('allow-always runs, adds the resolved binary to the allowlist, and the next run does not ask', async () => {
    await setAskPolicy('allowlist', 'on-miss');
    const gateway = fakeGateway({ id: 'a-3', decision: 'allow-always', reason: 'operator' });
    const marker = join(stateDir, 'always');
    expect((await runWith(gateway.askGateway, { command: ['touch', marker] })).exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(readExecPolicy(stateDir)).toEqual({ version: 1, security: 'allowlist', ask: 'on-miss', allowlist: [{ path: touchPath(), name: 'touch' }] });
    expect((await runWith(gateway.askGateway, { command: ['touch', `${marker}2`] })).exitCode).toBe(0);
    expect(gateway.asked).toHaveLength(1);
  });

  it('deny → EXEC_DENIED naming the rule and `tether node allow`, and nothing runs', async () => {
    await setAskPolicy('allowlist', 'on-miss');
    const marker = join(stateDir, 'denied');
    const gateway = fakeGateway({ id: 'a-4', decision: 'deny', reason: 'operator' });
    const error = await failure(runWith(gateway.askGateway, { command: ['touch', marker], cwd: stateDir }));
    expect(error.code).toBe('EXEC_DENIED');
    expect(error.message).toMatch(/^exec denied by rule ask=on-miss: approval denied by an operator \(command: touch /);
    expect(error.message).toContain(`; approval a-4). To let ${touchPath()} run without asking, on the node run: tether node allow ${touchPath()}`);
    expect(error.details).toEqual({ rule: 'ask=on-miss', outcome: 'denied', ask: 'on-miss', path: touchPath(), approvalId: 'a-4' });
    expect(existsSync(marker)).toBe(false);
  });

  it('an expired approval says how long it waited', async () => {
    await setAskPolicy('allowlist', 'on-miss');
    const marker = join(stateDir, 'expired');
    const gateway = fakeGateway({ id: 'a-5', decision: 'deny', reason: 'expired', ttlMs: 1_500 });
    const error = await failure(runWith(gateway.askGateway, { command: ['touch', marker] }));
    expect(error.message).toMatch(/^exec denied by rule ask=on-miss: approval expired after 1\.5 s with no answer from an operator/);
    expect(error.message).toContain('tether node allow');
    expect(error.details).toMatchObject({ outcome: 'expired' });
    expect(existsSync(marker)).toBe(false);
  });

  it('without a gateway link the run is denied with rule ask-unavailable', async () => {
    await setAskPolicy('allowlist', 'on-miss');
    const marker = join(stateDir, 'no-link');
    const error = await failure(runWith(undefined, { command: ['touch', marker] }));
    expect(error.code).toBe('EXEC_DENIED');
    expect(error.message).toMatch(/^exec denied by rule ask-unavailable: .* needs an operator's approval \(ask=on-miss\), but this node has no gateway link/);
    expect(error.message).toContain(`tether node allow ${touchPath()}`);
    expect(error.details).toMatchObject({ rule: 'ask-unavailable' });
    expect(existsSync(marker)).toBe(false);
  });

  it.each([
    ['the gateway refuses the request', () => Promise.reject(new Error('unknown method: exec.approval.request')), /asking the gateway failed: unknown method: exec\.approval\.request/],
    ['the answer is malformed', () => Promise.resolve({ id: 'a-6', decision: 'yes' }), /answer to the approval request is malformed/],
    ['the answer is empty', () => Promise.resolve(undefined), /malformed/],
  ])('%s → ask-unavailable, nothing runs', async (_name, answer, why) => {
    await setAskPolicy('allowlist', 'on-miss');
    const marker = join(stateDir, 'bad-answer');
    const error = await failure(runWith(fakeGateway(answer).askGateway, { command: ['touch', marker] }));
    expect(error).toMatchObject({ code: 'EXEC_DENIED', details: { rule: 'ask-unavailable' } });
    expect(error.message).toMatch(why);
    expect(existsSync(marker)).toBe(false);
  });

  it("a caller's approved:true / approvalDecision does not bypass the node's policy", async () => {
    const marker = join(stateDir, 'bypass');
    const params = { command: ['touch', marker], approved: true, approvalDecision: 'allow-always', runId: 'x' };
    await setAskPolicy('allowlist', 'off');
    expect(await failure(runWith(undefined, params))).toMatchObject({ code: 'EXEC_DENIED', details: { rule: 'allowlist-miss' } });
    await setAskPolicy('allowlist', 'on-miss');
    const gateway = fakeGateway({ id: 'a-7', decision: 'deny', reason: 'operator' });
    expect(await failure(runWith(gateway.askGateway, params))).toMatchObject({ code: 'EXEC_DENIED', details: { rule: 'ask=on-miss' } });
    expect(gateway.asked).toHaveLength(1);
    expect(existsSync(marker)).toBe(false);
    expect(readExecPolicy(stateDir).allowlist).toEqual([]);
  });

  it('does not ask for allowlisted binaries under on-miss, and never asks under security=deny', async () => {
    const gateway = fakeGateway({ id: 'a-8', decision: 'allow-once' });
    await setAskPolicy('allowlist', 'on-miss', [touchPath()]);
    expect((await runWith(gateway.askGateway, { command: ['touch', join(stateDir, 'listed')] })).exitCode).toBe(0);
    await setAskPolicy('deny', 'always', [touchPath()]);
    expect(await failure(runWith(gateway.askGateway, { command: ['touch', join(stateDir, 'locked')] }))).toMatchObject({ details: { rule: 'security=deny' } });
    expect(gateway.asked).toEqual([]);
    expect(existsSync(join(stateDir, 'locked'))).toBe(false);
  });

  it('ask=always asks even for allowlisted binaries, and its denial suggests --ask on-miss', async () => {
    await setAskPolicy('allowlist', 'always', [touchPath()]);
    const gateway = fakeGateway({ id: 'a-9', decision: 'deny', reason: 'operator' });
    const error = await failure(runWith(gateway.askGateway, { command: ['touch', join(stateDir, 'always-asked')] }));
    expect(error.message).toMatch(/^exec denied by rule ask=always: approval denied/);
    expect(error.message).toContain('on the node run: tether node policy --ask on-miss');
    expect(gateway.asked).toHaveLength(1);
  });

  it('a cancelled run stops waiting, and a late yes starts nothing', async () => {
    await setAskPolicy('allowlist', 'on-miss');
    const marker = join(stateDir, 'late');
    let answer: (value: unknown) => void = () => undefined;
    const gateway = fakeGateway(() => new Promise((resolve) => (answer = resolve)));
    const controller = new AbortController();
    const pending = failure(runWith(gateway.askGateway, { command: ['touch', marker] }, controller.signal));
    await new Promise((r) => setTimeout(r, 20));
    controller.abort(new Error('deadline passed'));
    const error = await pending;
    expect(error).toMatchObject({ code: 'EXEC_DENIED', details: { outcome: 'cancelled' } });
    expect(error.message).toContain('deadline passed');
    answer({ id: 'a-10', decision: 'allow-always' });
    await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(marker)).toBe(false);
    expect(readExecPolicy(stateDir).allowlist).toEqual([]);
  });

  it('the owner wins: security=deny set while the operator decides stops the run', async () => {
    await setAskPolicy('allowlist', 'on-miss');
    const marker = join(stateDir, 'locked-meanwhile');
    const gateway = fakeGateway(async () => {
      await writeExecPolicy(stateDir, { version: 1, security: 'deny', ask: 'on-miss', allowlist: [] });
      return { id: 'a-11', decision: 'allow-once' };
    });
    expect(await failure(runWith(gateway.askGateway, { command: ['touch', marker] }))).toMatchObject({ details: { rule: 'security=deny' } });
    expect(existsSync(marker)).toBe(false);
  });
});
