import { describe, expect, it } from 'vitest';
import { PairingStoreError } from './errors.js';
import { grantOwnerLogin } from './owner-login.js';
import { tokenMatches } from './tokens.js';
import type { DeviceClaim, PairedDevice, PairingState } from './types.js';

const NOW = 1_800_000_000_000;
const UI = { clientId: 'tether-control-ui', clientMode: 'ui', platform: 'web', displayName: 'Control UI' };

function claim(deviceId: string, scopes: string[]): DeviceClaim {
  return { deviceId, publicKey: `key-${deviceId}`, role: 'operator', scopes, commands: [], caps: [], ...UI };
}

function paired(deviceId: string, fields: Partial<PairedDevice>): PairedDevice {
  return {
    deviceId,
    publicKey: `key-${deviceId}`,
    roles: ['operator'],
    scopes: ['operator.read'],
    declaredCommands: [],
    approvedCommands: [],
    caps: [],
    approvedVia: 'owner',
    tokens: { operator: { role: 'operator', scopes: ['operator.read'], hash: 'old', createdAtMs: NOW - 10 } },
    createdAtMs: NOW - 10,
    approvedAtMs: NOW - 10,
    ...UI,
    ...fields,
  };
}

function state(devices: PairedDevice[] = []): PairingState {
  return { version: 1, pending: {}, paired: Object.fromEntries(devices.map((device) => [device.deviceId, device])), rejected: {}, removed: {} };
}

describe('an owner login pairs a browser key in one change', () => {
  it.each([
    ['a node', { roles: ['node' as const], clientId: 'node-host', approvedCommands: ['system.run'] }],
    ['a node that is also an operator', { roles: ['node' as const, 'operator' as const], clientId: 'node-host' }],
    ['the CLI on an admin operator device', { roles: ['operator' as const], clientId: 'cli', scopes: ['operator.admin'] }],
  ])('refuses a key that belongs to %s, and changes nothing', (_name, fields) => {
    const draft = state([paired('victim', fields)]);
    const before = JSON.stringify(draft);
    expect(() => grantOwnerLogin(draft, claim('victim', ['operator.read']), NOW)).toThrow(PairingStoreError);
    try {
      grantOwnerLogin(draft, claim('victim', ['operator.read']), NOW);
    } catch (error) {
      expect((error as PairingStoreError).code).toBe('KEY_IN_USE');
    }
    expect(JSON.stringify(draft)).toBe(before);
  });

  it('a new key: an operator with exactly the scopes granted and a token that matches', () => {
    const draft = state();
    const { result, audit } = grantOwnerLogin(draft, claim('browser', ['operator.write', 'operator.read']), NOW);
    expect(result.device).toMatchObject({ roles: ['operator'], scopes: ['operator.read', 'operator.write'], approvedVia: 'owner', displayName: 'Control UI', clientId: 'tether-control-ui' });
    expect(tokenMatches(result.token, draft.paired.browser!.tokens.operator!.hash)).toBe(true);
    expect(result.narrowed).toBe(false);
    expect(audit.map((entry) => entry.action)).toEqual(['pair.approved', 'token.issued']);
  });

  it('the same browser again with less: scopes replaced (not merged), the old token dead, the owner\'s name kept', () => {
    const draft = state([paired('browser', { scopes: ['operator.admin', 'operator.read'], displayName: 'kitchen tablet', renamedAtMs: NOW - 5 })]);
    const { result } = grantOwnerLogin(draft, claim('browser', ['operator.read']), NOW);
    expect(result.device.scopes).toEqual(['operator.read']);
    expect(result.narrowed).toBe(true);
    expect(result.device.displayName).toBe('kitchen tablet');
    expect(tokenMatches('old', draft.paired.browser!.tokens.operator!.hash)).toBe(false);
    expect(draft.paired.browser!.tokens.operator!.rotatedAtMs).toBe(NOW);
  });

  it('clears what kept the browser out (a rejection, a removal) and its queued requests', () => {
    const draft = state();
    draft.rejected.browser = { requestId: 'r1', deviceId: 'browser', atMs: NOW - 1, untilMs: NOW + 60_000 };
    draft.removed = { browser: { deviceId: 'browser', atMs: NOW - 1 } };
    draft.pending.r2 = { requestId: 'r2', deviceId: 'browser', publicKey: 'key-browser', role: 'operator', roles: ['operator'], scopes: [], commands: [], caps: [], reason: 'not-paired', isRepair: false, silent: false, ts: NOW - 1, expiresAtMs: NOW + 1000 } as never;
    grantOwnerLogin(draft, claim('browser', ['operator.read']), NOW);
    expect(draft.rejected.browser).toBeUndefined();
    expect(draft.removed?.browser).toBeUndefined();
    expect(draft.pending.r2).toBeUndefined();
  });
});
