import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findLooseEntries, fixLooseEntries } from './file-modes.js';
import { stateDirChecks, lockCheck, runDoctor } from './doctor.js';
import { fileModeFindings } from './security-audit.js';
import { inspectGatewayLock, removeStaleLock } from './lock.js';

const dirs: string[] = [];
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-audit-test-'));
  chmodSync(dir, 0o700);
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe('state dir modes', () => {
  it('--fix changes nothing outside the state dir when entries are swapped for symlinks after the walk', () => {
    const dir = stateDir();
    const outside = mkdtempSync(join(tmpdir(), 'tether-audit-outside-'));
    dirs.push(outside);
    mkdirSync(join(dir, 'media'), { mode: 0o777 });
    chmodSync(join(dir, 'media'), 0o777);
    writeFileSync(join(dir, 'media', 'a'), 'x', { mode: 0o644 });
    chmodSync(join(dir, 'media', 'a'), 0o644);
    writeFileSync(join(dir, 'b'), 'x', { mode: 0o644 });
    chmodSync(join(dir, 'b'), 0o644);
    writeFileSync(join(outside, 'a'), 'victim', { mode: 0o644 });
    chmodSync(join(outside, 'a'), 0o644);
    writeFileSync(join(outside, 'victim2'), 'victim', { mode: 0o755 });
    chmodSync(join(outside, 'victim2'), 0o755);
    const loose = findLooseEntries(dir);
    expect(loose.map((e) => e.name)).toEqual(['b', 'media', 'media/a']);
    // The attacker swaps them now, between the walk and the fix.
    rmSync(join(dir, 'media'), { recursive: true });
    symlinkSync(outside, join(dir, 'media'));
    rmSync(join(dir, 'b'));
    symlinkSync(join(outside, 'victim2'), join(dir, 'b'));
    const failed = fixLooseEntries(loose, dir);
    expect(failed.map((f) => f.entry.name).sort()).toEqual(['b', 'media', 'media/a']);
    expect(mode(join(outside, 'a'))).toBe(0o644);
    expect(mode(join(outside, 'victim2'))).toBe(0o755);
  });

  it('a world-readable token file is found, is critical in the audit, and --fix chmods it to 0600', () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'gateway.token'), 'x'.repeat(32), { mode: 0o644 });
    chmodSync(join(dir, 'gateway.token'), 0o644);
    expect(findLooseEntries(dir).map((e) => e.name)).toEqual(['gateway.token']);
    expect(fileModeFindings(dir).map((f) => [f.id, f.severity])).toEqual([['files.world-readable', 'critical']]);
    expect(stateDirChecks(dir)[0]).toMatchObject({ status: 'problem', fixable: true });
    expect(fixLooseEntries(findLooseEntries(dir), dir)).toEqual([]);
    expect(mode(join(dir, 'gateway.token'))).toBe(0o600);
    expect(stateDirChecks(dir)[0]?.status).toBe('ok');
  });
  it('finds loose directories and nested files; fixes dirs to 0700 and keeps an executable bit', () => {
    const dir = stateDir();
    mkdirSync(join(dir, 'pairing'), { mode: 0o755 });
    chmodSync(join(dir, 'pairing'), 0o755);
    writeFileSync(join(dir, 'pairing', 'state.json'), '{}');
    chmodSync(join(dir, 'pairing', 'state.json'), 0o660);
    writeFileSync(join(dir, 'run.sh'), '');
    chmodSync(join(dir, 'run.sh'), 0o755);
    expect(findLooseEntries(dir).map((e) => [e.name, e.kind])).toEqual([['pairing', 'dir'], ['pairing/state.json', 'file'], ['run.sh', 'file']]);
    fixLooseEntries(findLooseEntries(dir), dir);
    expect([mode(join(dir, 'pairing')), mode(join(dir, 'pairing', 'state.json')), mode(join(dir, 'run.sh'))]).toEqual([0o700, 0o600, 0o700]);
  });
  it('does not follow a symlink out of the state dir', () => {
    const dir = stateDir();
    const outside = stateDir();
    writeFileSync(join(outside, 'public.txt'), '');
    chmodSync(join(outside, 'public.txt'), 0o644);
    symlinkSync(outside, join(dir, 'link'));
    expect(findLooseEntries(dir)).toEqual([]);
    fixLooseEntries(findLooseEntries(dir), dir);
    expect(mode(join(outside, 'public.txt'))).toBe(0o644);
  });
});

describe('gateway lock', () => {
  it('a lock whose pid is dead is stale and --fix removes it; a live one is kept', () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'gateway.lock'), '999999', { mode: 0o600 });
    expect(inspectGatewayLock(dir, () => false)).toMatchObject({ state: 'stale', pid: 999999 });
    expect(removeStaleLock(dir, () => true)).toBe(false);
    expect(inspectGatewayLock(dir, () => true)).toEqual({ state: 'live', pid: 999999 });
    expect(removeStaleLock(dir, () => false)).toBe(true);
    expect(inspectGatewayLock(dir)).toEqual({ state: 'absent' });
  });
  it('a lock holding garbage is stale', () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'gateway.lock'), '-1; rm -rf /', { mode: 0o600 });
    expect(lockCheck(dir)).toMatchObject({ status: 'problem', fixable: true });
  });
  it('our own pid is live', () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'gateway.lock'), String(process.pid), { mode: 0o600 });
    expect(lockCheck(dir).status).toBe('ok');
  });
});

describe('runDoctor', () => {
  it('reports an invalid config with its key and does not throw', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'tether.json'), '{ gateway: { prot: 1 } }', { mode: 0o600 });
    const result = await runDoctor({ stateDir: dir, env: {} });
    const config = result.checks.find((c) => c.id === 'config');
    expect(config?.status).toBe('problem');
    expect(config?.message).toContain('gateway.prot');
    expect(result.ok).toBe(false);
  });
  it('a missing state dir is a problem with a fix', async () => {
    const result = await runDoctor({ stateDir: join(stateDir(), 'nope'), env: {} });
    expect(result.checks[0]).toMatchObject({ id: 'state-dir', status: 'problem' });
  });
});
