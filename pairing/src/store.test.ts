import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairingStoreError } from './errors.js';
import { PairingStore } from './store.js';
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

async function open(): Promise<PairingStore> {
  const store = await PairingStore.open({ stateDir, now: () => clock, rejectCooldownMs: 60_000 });
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

function auditActions(store: PairingStore): AuditEntry['action'][] {
  return readFileSync(store.auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as AuditEntry).action);
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
    expect(auditActions(store)).toEqual(['pair.requested', 'pair.rejected', 'pair.requested']);
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
    const back = await (await open()).admit(claim(), undefined, { autoApprove: true });
    expect(back).toMatchObject({ kind: 'pending', request: { silent: false } });
    if (back.kind !== 'pending') throw new Error('expected pending');
    const reopened = await open();
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

  it('shares state with a second instance (the CLI process)', async () => {
    const gateway = await open();
    const cli = await open();
    const decision = await gateway.admit(claim(), undefined, manual);
    if (decision.kind !== 'pending') throw new Error('expected pending');
    expect(cli.listPending().map((r) => r.requestId)).toEqual([decision.request.requestId]);
    await cli.approve(decision.request.requestId);
    expect(gateway.getPaired(ID)?.approvedVia).toBe('owner');
    expect(gateway.listPending()).toEqual([]);
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

  it('keeps refreshes of an unchanged pending request in memory for a while', async () => {
    const store = await open();
    await store.admit(claim(), undefined, manual);
    const before = fileVersion(store.stateFile);
    clock += 1_000;
    const again = await store.admit(claim(), undefined, manual);
    expect(again).toMatchObject({ kind: 'pending', created: false });
    expect(fileVersion(store.stateFile)).toBe(before);
    expect(store.listPending()[0]?.expiresAtMs).toBe(clock + 300_000);
    clock += 15_000;
    await store.admit(claim(), undefined, manual);
    expect(fileVersion(store.stateFile)).not.toBe(before);
    expect((await open()).listPending()[0]?.refreshedAtMs).toBe(clock);
  });

  it('batches last-seen times and keeps them across another process write', async () => {
    const gateway = await open();
    await pairDevice(gateway);
    gateway.recordSeen(ID, { atMs: 5_000_000, remoteIp: '10.0.0.7' });
    const cli = await open();
    expect(cli.getPaired(ID)?.lastSeenAtMs).toBeUndefined();
    await cli.rotateToken(ID, 'node');
    expect(gateway.getPaired(ID)).toMatchObject({ lastSeenAtMs: 5_000_000, remoteIp: '10.0.0.7' });
    await gateway.close();
    expect((await open()).getPaired(ID)).toMatchObject({ lastSeenAtMs: 5_000_000, remoteIp: '10.0.0.7' });
    expect((await open()).getPaired(ID)?.tokens.node?.rotatedAtMs).toBe(clock);
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

  it('takes over a lock whose holder died, and gives up on a live one', async () => {
    const store = await open();
    const lock = join(stateDir, 'pairing', 'state.lock');
    mkdirSync(lock);
    utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect((await store.admit(claim(), undefined, manual)).kind).toBe('pending');
    mkdirSync(lock);
    expect(await codeOf(store.remove(ID))).toBe('STORE_LOCKED');
  });
});
