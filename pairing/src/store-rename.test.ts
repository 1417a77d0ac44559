import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairingStoreError } from './errors.js';
import { PairingStore } from './store.js';
import type { AuditEntry, DeviceClaim } from './types.js';

const ID = 'b'.repeat(64);
const claim = (over: Partial<DeviceClaim> = {}): DeviceClaim => ({
  deviceId: ID,
  publicKey: 'pk',
  role: 'node',
  scopes: [],
  commands: ['system.notify'],
  caps: [],
  displayName: 'declared-name',
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

async function pair(store: PairingStore): Promise<string> {
  const pending = await store.admit(claim(), undefined, manual);
  if (pending.kind !== 'pending') throw new Error('expected pending');
  await store.approve(pending.request.requestId);
  const admitted = await store.admit(claim(), undefined, manual);
  if (admitted.kind !== 'admitted' || !admitted.issuedToken) throw new Error('expected a token');
  return admitted.issuedToken;
}

function audit(store: PairingStore): AuditEntry[] {
  return readFileSync(store.auditFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditEntry);
}

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'tether-rename-'));
  clock = 2_000_000;
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  rmSync(stateDir, { recursive: true, force: true });
});

describe('PairingStore.rename', () => {
  it('refuses an unknown device with UNKNOWN_DEVICE and writes nothing', async () => {
    const store = await open();
    const error = await store.rename('c'.repeat(64), 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PairingStoreError);
    expect((error as PairingStoreError).code).toBe('UNKNOWN_DEVICE');
  });

  it('stores the name durably, audits from and to, and keeps it over the declared name on later connects and re-approvals', async () => {
    const store = await open();
    const token = await pair(store);
    clock += 1000;
    const { device, previous } = await store.rename(ID, 'Kitchen Pi');
    expect(previous).toBe('declared-name');
    expect(device).toMatchObject({ displayName: 'Kitchen Pi', renamedAtMs: clock });
    expect(audit(store).at(-1)).toMatchObject({ action: 'device.renamed', deviceId: ID, detail: { from: 'declared-name', to: 'Kitchen Pi' } });

    const reopened = await open();
    expect(reopened.getPaired(ID)?.displayName).toBe('Kitchen Pi');
    // A connect with its token declaring another name: the owner's name stays.
    expect(await reopened.admit(claim({ displayName: 'evil-rename' }), token, manual)).toMatchObject({ kind: 'admitted' });
    expect(reopened.getPaired(ID)?.displayName).toBe('Kitchen Pi');
    // Revoked and re-approved (a repair request that declares another name): still the owner's name.
    await reopened.revokeToken(ID, 'node');
    const repair = await reopened.admit(claim({ displayName: 'evil-rename' }), token, manual);
    if (repair.kind !== 'pending') throw new Error('expected a repair request');
    await reopened.approve(repair.request.requestId);
    expect(reopened.getPaired(ID)).toMatchObject({ displayName: 'Kitchen Pi', renamedAtMs: 2_001_000 });
  });
});
