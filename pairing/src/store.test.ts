import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairingStoreError } from './errors.js';
import { PairingStore } from './store.js';
import type { PairingStoreOptions } from './store-options.js';
import type { AuditEntry, DeviceClaim } from './types.js';

const ID = 'a'.repeat(64);
const claim = (over: Partial<DeviceClaim> = {}): DeviceClaim => ({
  deviceId: ID,
  publicKey: 'pk',
  role: 'node',
  scopes: [],
  commands: ['camera.snap', 'system.run'],
  caps: ['camera'],
  displayName: 'Pi',
  ...over,
});
const manual = { autoApprove: false };

let stateDir: string;
let clock: number;
const stores: PairingStore[] = [];

async function open(options: Partial<PairingStoreOptions> = {}): Promise<PairingStore> {
  const store = await PairingStore.open({ stateDir, now: () => clock, rejectCooldownMs: 60_000, ...options });
  stores.push(store);
  return store;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof PairingStoreError)) throw new Error(`expected a PairingStoreError, got ${String(error)}`);
  return error.code;
}

function fileVersion(path: string): string {
  const stat = statSync(path);
  return `${stat.ino}:${stat.mtimeMs}:${readFileSync(path, 'utf8')}`;
}

function auditEntries(path: string): AuditEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEntry);
}

function auditActions(store: PairingStore): AuditEntry['action'][] {
  return auditEntries(store.auditFile).map((entry) => entry.action);
}

function savedPending(store: PairingStore): Record<string, unknown> {
  return (JSON.parse(readFileSync(store.stateFile, 'utf8')) as { pending: Record<string, unknown> }).pending;
}

/** A fresh unknown device (its own key) connecting from `remoteIp`. */
function stranger(n: number, remoteIp: string): DeviceClaim {
  return claim({ deviceId: n.toString(16).padStart(64, 'f'), publicKey: `pk-${n}`, displayName: `stranger-${n}`, remoteIp });
}

/** Pending → approved → first token. */
async function pairDevice(store: PairingStore): Promise<string> {
  const pending = await store.admit(claim(), undefined, manual);
  if (pending.kind !== 'pending') throw new Error('expected pending');
  await store.approve(pending.request.requestId);
  const admitted = await store.admit(claim(), undefined, manual);
  if (admitted.kind !== 'admitted' || !admitted.issuedToken) throw new Error('expected a token');
  return admitted.issuedToken;
}

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'tether-pairing-'));
  clock = 1_000_000;
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  rmSync(stateDir, { recursive: true, force: true });
});

describe('PairingStore', () => {
  it('approves with a narrowed surface, persists it privately, and audits', async () => {
    const store = await open();
    const decision = await store.admit(claim(), undefined, manual);
    if (decision.kind !== 'pending') throw new Error('expected pending');
    expect(store.listPending().map((r) => r.requestId)).toEqual([decision.request.requestId]);
    await store.approve(decision.request.requestId, { without: ['system.run'] });

    const reopened = await open();
    expect(reopened.listPending()).toEqual([]);
    expect(reopened.getPaired(ID)).toMatchObject({ approvedVia: 'owner', declaredCommands: ['camera.snap', 'system.run'], approvedCommands: ['camera.snap'] });
    expect(statSync(store.stateFile).mode & 0o777).toBe(0o600);
    expect(statSync(store.auditFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'pairing')).mode & 0o777).toBe(0o700);
    expect(auditActions(store)).toEqual(['pair.requested', 'pair.approved']);
  });

  it('rejects with a cooldown that survives a restart', async () => {
    const store = await open();
    const decision = await store.admit(claim(), undefined, manual);
    if (decision.kind !== 'pending') throw new Error('expected pending');
    await store.reject(decision.request.requestId);
    const reopened = await open();
    expect(reopened.getPending(decision.request.requestId)).toBeUndefined();
    expect((await reopened.admit(claim(), undefined, { autoApprove: true })).kind).toBe('rejected');
    clock += 60_000;
    expect((await reopened.admit(claim(), undefined, manual)).kind).toBe('pending');
    // The request after the cooldown is in memory: nothing audited until an owner acts on it.
    expect(auditActions(store)).toEqual(['pair.requested', 'pair.rejected']);
  });

  it('removes a device and its pending request', async () => {
    const store = await open();
    await pairDevice(store);
    await store.admit(claim({ role: 'operator' }), undefined, manual);
    expect(store.pendingForDevice(ID)?.reason).toBe('role-upgrade');
    await store.remove(ID);
    const reopened = await open();
    expect(reopened.listPaired()).toEqual([]);
    expect(reopened.listPending()).toEqual([]);
    expect((await reopened.admit(claim(), undefined, manual)).kind).toBe('pending');
    expect(auditActions(store)).toContain('device.removed');
  });

  it('does not re-pair a removed device silently, until an owner approves it again', async () => {
    const store = await open();
    await pairDevice(store);
    await store.remove(ID);
    const reopened = await open();
    const back = await reopened.admit(claim(), undefined, { autoApprove: true });
    expect(back).toMatchObject({ kind: 'pending', request: { silent: false } });
    if (back.kind !== 'pending') throw new Error('expected pending');
    await reopened.approve(back.request.requestId);
    // Approved again: the tombstone is gone from the state file.
    const saved = JSON.parse(readFileSync(reopened.stateFile, 'utf8')) as { removed?: Record<string, unknown> };
    expect(saved.removed?.[ID]).toBeUndefined();
    expect((await reopened.admit(claim(), undefined, { autoApprove: true })).kind).toBe('admitted');
  });

  it('rotates a token: the old one is stale, the new one admits without a new token', async () => {
    const store = await open();
    const first = await pairDevice(store);
    const { token, record } = await store.rotateToken(ID, 'node');
    expect(record).toMatchObject({ role: 'node', rotatedAtMs: clock });
    const reopened = await open();
    const withNew = await reopened.admit(claim(), token, manual);
    expect(withNew).toMatchObject({ kind: 'admitted' });
    expect(withNew).not.toHaveProperty('issuedToken');
    const withOld = await reopened.admit(claim(), first, manual);
    expect(withOld.kind === 'admitted' && withOld.issuedToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('revokes a token: the device needs a repair approval, then gets a fresh token', async () => {
    const store = await open();
    const token = await pairDevice(store);
    await store.revokeToken(ID, 'node');
    const reopened = await open();
    const repair = await reopened.admit(claim(), token, { autoApprove: true });
    if (repair.kind !== 'pending') throw new Error('expected a repair request');
    expect(repair.request).toMatchObject({ reason: 'token-revoked', isRepair: true, silent: false });
    await reopened.approve(repair.request.requestId);
    expect(reopened.getPaired(ID)?.tokens.node).toBeUndefined();
    const admitted = await reopened.admit(claim(), token, manual);
    expect(admitted.kind === 'admitted' && admitted.issuedToken).toBeTruthy();
    expect(auditActions(store)).toEqual(['pair.requested', 'pair.approved', 'token.issued', 'token.revoked', 'pair.requested', 'pair.approved', 'token.issued']);
  });

  it('answers unknown ids and bad grants with stable codes', async () => {
    const store = await open();
    expect(await codeOf(store.approve('nope'))).toBe('UNKNOWN_REQUEST_ID');
    expect(await codeOf(store.reject('nope'))).toBe('UNKNOWN_REQUEST_ID');
    expect(await codeOf(store.remove('ff'))).toBe('UNKNOWN_DEVICE');
    expect(await codeOf(store.rotateToken('ff', 'node'))).toBe('UNKNOWN_DEVICE');
    await pairDevice(store);
    expect(await codeOf(store.rotateToken(ID, 'operator'))).toBe('UNKNOWN_ROLE');
    expect(await codeOf(store.revokeToken(ID, 'operator'))).toBe('UNKNOWN_ROLE');
    expect(await codeOf(store.rotateToken(ID, 'node', ['operator.admin']))).toBe('INVALID_GRANT');
    const upgrade = await store.admit(claim({ commands: ['camera.snap', 'system.run', 'screen.record'] }), undefined, manual);
    const request = upgrade.kind === 'admitted' ? upgrade.surfaceRequest : undefined;
    if (!request) throw new Error('expected a surface request');
    expect(await codeOf(store.approve(request.requestId, { without: ['sytem.run'] }))).toBe('INVALID_GRANT');
    clock += 300_000;
    expect(await codeOf(store.approve(request.requestId))).toBe('UNKNOWN_REQUEST_ID'); // expired
    await expect(store.approve('nope')).rejects.toThrow(/tether devices list/);
  });

  it('writes nothing when a paired device reconnects with its token', async () => {
    const store = await open();
    const token = await pairDevice(store);
    const before = fileVersion(store.stateFile);
    for (let i = 0; i < 50; i++) {
      clock += 1_000;
      expect(await store.admit(claim(), token, manual)).not.toHaveProperty('issuedToken');
    }
    expect(fileVersion(store.stateFile)).toBe(before);
    expect(store.getPaired(ID)?.tokens.node?.lastUsedAtMs).toBe(clock);
    await store.flush();
    expect((await open()).getPaired(ID)?.tokens.node?.lastUsedAtMs).toBe(clock);
  });

  it('keeps refreshes of an unchanged repair request in memory for a while', async () => {
    const store = await open();
    await pairDevice(store);
    expect(await store.admit(claim({ role: 'operator' }), undefined, manual)).toMatchObject({ kind: 'pending', created: true, request: { reason: 'role-upgrade' } });
    const before = fileVersion(store.stateFile);
    clock += 1_000;
    const again = await store.admit(claim({ role: 'operator' }), undefined, manual);
    expect(again).toMatchObject({ kind: 'pending', created: false });
    expect(fileVersion(store.stateFile)).toBe(before);
    expect(store.listPending()[0]?.expiresAtMs).toBe(clock + 300_000);
    clock += 15_000;
    await store.admit(claim({ role: 'operator' }), undefined, manual);
    expect(fileVersion(store.stateFile)).not.toBe(before);
    expect((await open()).listPending()[0]?.refreshedAtMs).toBe(clock);
  });

  it('batches last-seen times: in memory until the next write or flush', async () => {
    const store = await open();
    await pairDevice(store);
    store.recordSeen(ID, { atMs: 5_000_000, remoteIp: '10.0.0.7' });
    expect(store.getPaired(ID)).toMatchObject({ lastSeenAtMs: 5_000_000, remoteIp: '10.0.0.7' });
    expect((await open()).getPaired(ID)?.lastSeenAtMs).toBeUndefined();
    await store.rotateToken(ID, 'node');
    expect((await open()).getPaired(ID)).toMatchObject({ lastSeenAtMs: 5_000_000, remoteIp: '10.0.0.7', tokens: { node: { rotatedAtMs: clock } } });
    store.recordSeen(ID, { atMs: 6_000_000 });
    await store.close();
    expect((await open()).getPaired(ID)?.lastSeenAtMs).toBe(6_000_000);
  });

  it.each([
    ['{"version": 1, "pending": {', /invalid JSON/],
    ['{"version": 2, "pending": {}, "paired": {}, "rejected": {}}', /unsupported version 2/],
    ['{"version": 1, "pending": {}, "paired": {"x": {"deviceId": 1}}, "rejected": {}}', /paired\.x/],
    ['[]', /not an object/],
  ])('refuses a damaged state file %s', async (text, detail) => {
    mkdirSync(join(stateDir, 'pairing'), { recursive: true });
    const path = join(stateDir, 'pairing', 'state.json');
    writeFileSync(path, text);
    const error: unknown = await PairingStore.open({ stateDir }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PairingStoreError);
    expect((error as PairingStoreError).code).toBe('STORE_CORRUPT');
    expect((error as PairingStoreError).message).toContain(path);
    expect((error as PairingStoreError).message).toMatch(detail);
    expect((error as PairingStoreError).message).toMatch(/move it aside .* or restore it from a backup/);
  });

  it('is not blocked by the lock directory a SIGKILLed older gateway left, and removes it', async () => {
    const lock = join(stateDir, 'pairing', 'state.lock');
    mkdirSync(lock, { recursive: true }); // fresh mtime: as left by a holder killed a moment ago
    const store = await open();
    const started = Date.now();
    await pairDevice(store);
    await store.remove(ID);
    console.log(`pairing writes with a stale state.lock present took ${Date.now() - started} ms`);
    expect(store.listPaired()).toEqual([]);
    expect(existsSync(lock)).toBe(false);
  });

  it('removes the temp files a killed write left behind when it opens', async () => {
    const dir = join(stateDir, 'pairing');
    mkdirSync(dir, { recursive: true });
    const first = await open();
    await pairDevice(first);
    await first.close();
    const leftovers = ['.state.json.4242.0badc0de.tmp', `.state.json.${process.pid}.12345678.tmp`, '.ready-probe.4242.abcdef01.tmp'];
    for (const name of leftovers) writeFileSync(join(dir, name), '{"version": 1, "torn');
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    const reopened = await open();
    expect(readdirSync(dir).sort()).toEqual(['audit.jsonl', 'notes.txt', 'state.json']);
    expect(reopened.getPaired(ID)?.approvedVia).toBe('owner');
  });

  it('drops a torn last audit line (an append cut short by a kill) when it opens', async () => {
    const first = await open();
    await pairDevice(first);
    await first.close();
    const audit = join(stateDir, 'pairing', 'audit.jsonl');
    const whole = readFileSync(audit, 'utf8');
    appendFileSync(audit, '{"ts":1,"action":"pair.appr');
    const reopened = await open();
    expect(readFileSync(audit, 'utf8')).toBe(whole);
    await reopened.remove(ID);
    const lines = readFileSync(audit, 'utf8').split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ action: 'device.removed' });
  });

  it('reports ready when it can read and write its directory, and why not when it cannot', async () => {
    const store = await open();
    await pairDevice(store);
    const dir = join(stateDir, 'pairing');
    const before = readdirSync(dir).sort();
    expect(await store.checkReady()).toEqual({ ok: true });
    expect(readdirSync(dir).sort()).toEqual(before); // the probe file is gone again
    rmSync(dir, { recursive: true, force: true });
    const broken = await store.checkReady();
    expect(broken.ok).toBe(false);
    expect(broken.ok === false && broken.reason).toContain(dir);
    expect(store.getPaired(ID)).toBeDefined(); // reads still come from memory
  });

  it('rotates audit.jsonl past its size limit, keeping the configured generations at 0600', async () => {
    const store = await open({ auditMaxBytes: 400, auditGenerations: 2 });
    await pairDevice(store);
    for (let i = 0; i < 30; i++) {
      clock += 1;
      await store.rotateToken(ID, 'node');
    }
    const dir = join(stateDir, 'pairing');
    expect(readdirSync(dir).filter((name) => name.startsWith('audit')).sort()).toEqual(['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2']);
    const generations = [`${store.auditFile}.2`, `${store.auditFile}.1`, store.auditFile];
    for (const path of generations) {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(path).size).toBeLessThanOrEqual(400);
    }
    // Oldest first, the kept lines are one unbroken run that ends with the latest decision.
    const kept = generations.flatMap(auditEntries);
    expect(kept.length).toBeGreaterThan(6);
    expect(kept.every((entry) => entry.action === 'token.rotated')).toBe(true);
    expect(kept.map((entry) => entry.ts)).toEqual(kept.map((_, i) => clock - kept.length + 1 + i));
  });
});

describe('PairingStore: unknown devices', () => {
  it('keeps an unknown device\'s request in memory: no state write and no audit line until an owner acts', async () => {
    const store = await open();
    const first = await store.admit(claim({ remoteIp: '10.0.0.1' }), undefined, manual);
    if (first.kind !== 'pending') throw new Error('expected pending');
    const { requestId } = first.request;
    expect(existsSync(store.stateFile)).toBe(false);
    expect(existsSync(store.auditFile)).toBe(false);
    // The gateway's views see it exactly like a durable request.
    expect(store.listPending().map((r) => r.requestId)).toEqual([requestId]);
    expect(store.getPending(requestId)).toEqual(first.request);
    expect(store.pendingForDevice(ID)?.requestId).toBe(requestId);

    const other = await store.admit(stranger(2, '10.0.0.2'), undefined, manual);
    if (other.kind !== 'pending') throw new Error('expected pending');
    clock += 5_000;
    await store.reject(other.request.requestId);
    expect(savedPending(store)).toEqual({});
    clock += 5_000;
    const { device } = await store.approve(requestId);
    expect(device).toMatchObject({ deviceId: ID, approvedVia: 'owner', remoteIp: '10.0.0.1' });

    // On disk: the paired device and the rejection, never a pending request.
    const reopened = await open();
    expect(savedPending(reopened)).toEqual({});
    expect(reopened.getPaired(ID)?.approvedCommands).toEqual(['camera.snap', 'system.run']);
    expect((await reopened.admit(stranger(2, '10.0.0.2'), undefined, manual)).kind).toBe('rejected');
    // The audit records each request once an owner acted on it, at the time it was made.
    expect(auditEntries(store.auditFile).map(({ ts, action, requestId: id, deviceId }) => ({ ts, action, id, deviceId }))).toEqual([
      { ts: 1_000_000, action: 'pair.requested', id: other.request.requestId, deviceId: other.request.deviceId },
      { ts: 1_005_000, action: 'pair.rejected', id: other.request.requestId, deviceId: other.request.deviceId },
      { ts: 1_000_000, action: 'pair.requested', id: requestId, deviceId: ID },
      { ts: 1_010_000, action: 'pair.approved', id: requestId, deviceId: ID },
    ]);
    expect(auditEntries(store.auditFile)[2]?.detail).toMatchObject({ reason: 'not-paired', remoteIp: '10.0.0.1' });
  });

  it('forgets unknown-device requests on restart, and moves a legacy file\'s out of state.json', async () => {
    const store = await open();
    await store.admit(claim(), undefined, manual);
    expect((await open()).listPending()).toEqual([]);

    // Older versions wrote unknown devices' requests to disk: they are held in memory from now on.
    const legacy = await store.admit(stranger(3, '10.0.0.3'), undefined, manual);
    if (legacy.kind !== 'pending') throw new Error('expected pending');
    const dir = join(stateDir, 'pairing');
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ version: 1, pending: { [legacy.request.requestId]: legacy.request }, paired: {}, rejected: {} }));
    const upgraded = await open();
    expect(upgraded.getPending(legacy.request.requestId)?.deviceId).toBe(legacy.request.deviceId);
    await upgraded.flush();
    expect(savedPending(upgraded)).toEqual({});
    await upgraded.approve(legacy.request.requestId);
    expect((await open()).getPaired(legacy.request.deviceId)).toBeDefined();
  });

  it('caps new unknown devices per address (IPv6 by /64, IPv4-mapped as IPv4) and in total; queued devices may retry', async () => {
    const store = await open({ maxUnknownPending: 5, maxUnknownPendingPerAddress: 2 });
    const t0 = clock;
    const admit = async (n: number, ip: string) => {
      clock += 1_000;
      return store.admit(stranger(n, ip), undefined, manual);
    };
    expect((await admit(1, '10.0.0.1')).kind).toBe('pending'); // t0+1 s, expires t0+301 s
    expect((await admit(2, '10.0.0.1')).kind).toBe('pending'); // t0+2 s
    expect(await admit(3, '::ffff:10.0.0.1')).toEqual({ kind: 'throttled', limit: 'per-address', retryAfterMs: t0 + 301_000 - clock });
    expect(await admit(1, '10.0.0.1')).toMatchObject({ kind: 'pending', created: false }); // a retry: expires t0+304 s now
    expect(await admit(4, '10.0.0.1')).toEqual({ kind: 'throttled', limit: 'per-address', retryAfterMs: t0 + 302_000 - clock });
    expect((await admit(5, '2001:db8:1:2::1')).kind).toBe('pending');
    expect((await admit(6, '2001:db8:1:2:ffff::9')).kind).toBe('pending');
    expect(await admit(7, '2001:db8:1:2:abcd::1')).toMatchObject({ kind: 'throttled', limit: 'per-address' });
    expect((await admit(8, '2001:db8:1:3::1')).kind).toBe('pending');
    expect(await admit(9, '192.168.1.1')).toEqual({ kind: 'throttled', limit: 'total', retryAfterMs: t0 + 302_000 - clock });
    expect(store.pendingCounts('::ffff:10.0.0.1')).toEqual({
      unknownTotal: 5,
      unknownFromAddress: 2,
      addressBucket: '10.0.0.1',
      durable: 0,
      limits: { total: 5, perAddress: 2 },
    });
    expect(store.listPending()).toHaveLength(5);
    expect(existsSync(store.stateFile)).toBe(false);
    // Device 2's request expires at t0+302 s: its slot is free again.
    clock = t0 + 302_000;
    expect(await store.admit(stranger(9, '192.168.1.1'), undefined, manual)).toMatchObject({ kind: 'pending', created: true });
    expect(store.pendingCounts('10.0.0.1')).toMatchObject({ unknownTotal: 5, unknownFromAddress: 1 });
  });

  it('refuses limits that are not positive integers, with the option name', async () => {
    const error: unknown = await PairingStore.open({ stateDir, maxUnknownPendingPerAddress: 0 }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PairingStoreError);
    expect((error as PairingStoreError).code).toBe('INVALID_OPTIONS');
    expect((error as PairingStoreError).message).toMatch(/maxUnknownPendingPerAddress/);
  });
});

describe('PairingStore: approvals', () => {
  it('approving an operator role for a node keeps its command surface (finding 9)', async () => {
    const store = await open();
    const pending = await store.admit(claim(), undefined, manual);
    if (pending.kind !== 'pending') throw new Error('expected pending');
    await store.approve(pending.request.requestId, { without: ['system.run'] });
    const upgrade = await store.admit(claim({ role: 'operator', commands: [], caps: [] }), undefined, manual);
    if (upgrade.kind !== 'pending') throw new Error('expected a role-upgrade request');
    const { device } = await store.approve(upgrade.request.requestId);
    const surface = { roles: ['node', 'operator'], declaredCommands: ['camera.snap', 'system.run'], approvedCommands: ['camera.snap'], caps: ['camera'] };
    expect(device).toMatchObject(surface);
    expect((await open()).getPaired(ID)).toMatchObject(surface);
  });
});
