import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairingStoreError } from './errors.js';
import { PairingStore } from './store.js';
import { tokenMatches } from './tokens.js';
import type { AuditEntry, DeviceClaim } from './types.js';

const claim = (over: Partial<DeviceClaim> = {}): DeviceClaim => ({
  deviceId: 'a'.repeat(64),
  publicKey: 'pk-a',
  role: 'node',
  scopes: [],
  commands: ['camera.snap', 'system.notify', 'system.run'],
  caps: ['camera'],
  displayName: 'pi',
  remoteIp: '192.168.1.7',
  ...over,
});
const other = () => claim({ deviceId: 'b'.repeat(64), publicKey: 'pk-b', displayName: 'intruder' });

let stateDir: string;
let clock: number;
const stores: PairingStore[] = [];
async function open(): Promise<PairingStore> {
  const store = await PairingStore.open({ stateDir, now: () => clock });
  stores.push(store);
  return store;
}
function audit(): AuditEntry[] {
  return readFileSync(join(stateDir, 'pairing', 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as AuditEntry);
}
function refusedAs(result: Awaited<ReturnType<PairingStore['redeemBootstrap']>>): string {
  if (result.kind !== 'refused') throw new Error(`expected a refusal, got ${result.kind}`);
  return result.reason;
}

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'tether-bootstrap-'));
  clock = 1_800_000_000_000;
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('bootstrap tokens', () => {
  it('are 32 random bytes, stored only as a hash, 10 minutes by default', async () => {
    const store = await open();
    const { token, record } = await store.createBootstrap({ createdBy: 'owner' });
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record.expiresAtMs - clock).toBe(600_000);
    const text = readFileSync(store.stateFile, 'utf8');
    expect(text).not.toContain(token);
    expect(tokenMatches(token, record.hash)).toBe(true);
    expect(audit().map((e) => e.action)).toEqual(['bootstrap.created']);
  });

  it('pair the first key with the allowed commands it declares, and only those', async () => {
    const store = await open();
    const { token } = await store.createBootstrap({ createdBy: 'owner', commands: ['system.notify', 'camera.snap', 'location.get'], name: 'kitchen-pi' });
    const result = await store.redeemBootstrap(claim(), token);
    expect(result.kind).toBe('admitted');
    if (result.kind !== 'admitted') return;
    expect(result.decision.issuedToken).toBeDefined();
    expect(result.withheld).toEqual(['system.run']);
    const device = store.getPaired(claim().deviceId)!;
    expect(device).toMatchObject({ approvedVia: 'bootstrap', displayName: 'kitchen-pi', roles: ['node'], approvedCommands: ['camera.snap', 'system.notify'] });
    expect(device.approvedCommands).not.toContain('location.get'); // allowed but not declared
    expect(store.verifyToken(claim().deviceId, 'node', result.decision.issuedToken!)).toBe(true);
    expect(audit().map((e) => e.action)).toEqual(['bootstrap.created', 'bootstrap.redeemed', 'pair.approved', 'token.issued']);
  });

  it('refuse another key after the first redemption, and stay bound to it', async () => {
    const store = await open();
    const { token } = await store.createBootstrap({ createdBy: 'owner' });
    expect((await store.redeemBootstrap(claim(), token)).kind).toBe('admitted');
    expect(refusedAs(await store.redeemBootstrap(other(), token))).toBe('used');
    // Same device id with another key (a forged claim) is refused too.
    expect(refusedAs(await store.redeemBootstrap(claim({ publicKey: 'pk-forged' }), token))).toBe('used');
    expect(store.getPaired(other().deviceId)).toBeUndefined();
    expect(audit().filter((e) => e.action === 'bootstrap.refused').map((e) => [e.deviceId, e.detail?.reason])).toEqual([
      [other().deviceId, 'used'],
      [claim().deviceId, 'used'],
    ]);
  });

  it('are idempotent for the same key (a reconnect before the token was stored)', async () => {
    const store = await open();
    const { token } = await store.createBootstrap({ createdBy: 'owner', commands: ['system.notify'] });
    const first = await store.redeemBootstrap(claim(), token);
    const again = await store.redeemBootstrap(claim(), token);
    expect(again.kind).toBe('admitted');
    if (first.kind !== 'admitted' || again.kind !== 'admitted') return;
    expect(again.repeat).toBe(true);
    expect(again.decision.issuedToken).toBeDefined();
    expect(store.verifyToken(claim().deviceId, 'node', again.decision.issuedToken!)).toBe(true);
    expect(store.getPaired(claim().deviceId)!.approvedCommands).toEqual(['system.notify']);
  });

  it('do not bring back a device the owner removed after it redeemed', async () => {
    const store = await open();
    const { token } = await store.createBootstrap({ createdBy: 'owner' });
    await store.redeemBootstrap(claim(), token);
    await store.remove(claim().deviceId);
    expect(refusedAs(await store.redeemBootstrap(claim(), token))).toBe('used');
    expect(store.getPaired(claim().deviceId)).toBeUndefined();
  });

  it('refuse a guessed or garbage token', async () => {
    const store = await open();
    const { token } = await store.createBootstrap({ createdBy: 'owner' });
    for (const guess of ['', 'x', token.slice(0, -1), `${token}A`, token.toUpperCase(), 'A'.repeat(43)]) {
      expect(refusedAs(await store.redeemBootstrap(claim(), guess))).toBe('unknown');
    }
    expect(store.getPaired(claim().deviceId)).toBeUndefined();
    expect(audit().filter((e) => e.action === 'bootstrap.refused')).toHaveLength(6);
  });

  it('refuse an expired code (and a revoked one), and survive a restart', async () => {
    const store = await open();
    const expiring = await store.createBootstrap({ createdBy: 'owner', ttlMs: 60_000 });
    const revoked = await store.createBootstrap({ createdBy: 'owner' });
    const kept = await store.createBootstrap({ createdBy: 'owner' });
    await store.revokeBootstrap(revoked.record.id, 'owner');
    await store.close();
    stores.length = 0;
    clock += 60_000;
    const reopened = await open();
    expect(refusedAs(await reopened.redeemBootstrap(claim(), expiring.token))).toBe('expired');
    expect(refusedAs(await reopened.redeemBootstrap(claim(), revoked.token))).toBe('revoked');
    expect(reopened.listBootstrap().map((c) => [c.id, c.status])).toEqual(
      expect.arrayContaining([[expiring.record.id, 'expired'], [revoked.record.id, 'revoked'], [kept.record.id, 'active']]),
    );
    expect((await reopened.redeemBootstrap(claim(), kept.token)).kind).toBe('admitted');
    expect(audit().map((e) => e.action)).toContain('bootstrap.revoked');
  });

  it('refuse operators: a setup code pairs nodes only', async () => {
    const store = await open();
    const { token } = await store.createBootstrap({ createdBy: 'owner' });
    expect(refusedAs(await store.redeemBootstrap(claim({ role: 'operator', scopes: ['operator.admin'], commands: [] }), token))).toBe('role');
    expect((await store.redeemBootstrap(claim(), token)).kind).toBe('admitted'); // still unused
  });

  it('validate ttl and unknown ids', async () => {
    const store = await open();
    for (const ttlMs of [0, -1, 1.5, 25 * 3_600_000]) {
      await expect(store.createBootstrap({ createdBy: 'owner', ttlMs })).rejects.toBeInstanceOf(PairingStoreError);
    }
    await expect(store.revokeBootstrap('sc_nope', 'owner')).rejects.toMatchObject({ code: 'UNKNOWN_SETUP_CODE' });
  });
});
