import { createValidator, PairedDeviceInfoSchema, PendingRequestInfoSchema } from '@tether/protocol';
import { describe, expect, it } from 'vitest';
import { hashToken } from './tokens.js';
import type { PairedDevice, PendingRequest } from './types.js';
import { toPairedInfo, toPendingInfo } from './wire.js';

const request: PendingRequest = {
  requestId: 'r1',
  deviceId: 'd1',
  publicKey: 'pk',
  role: 'node',
  roles: ['node'],
  scopes: [],
  commands: ['camera.snap'],
  caps: ['camera'],
  displayName: undefined,
  platform: 'linux',
  reason: 'not-paired',
  isRepair: false,
  silent: false,
  ts: 1,
  refreshedAtMs: 2,
  expiresAtMs: 3,
};

const device: PairedDevice = {
  deviceId: 'd1',
  publicKey: 'pk',
  roles: ['operator', 'node'],
  scopes: ['operator.read'],
  declaredCommands: ['camera.snap', 'system.run'],
  approvedCommands: ['camera.snap'],
  caps: ['camera'],
  approvedVia: 'owner',
  tokens: { node: { role: 'node', scopes: [], hash: hashToken('secret'), createdAtMs: 1, revokedAtMs: 2 } },
  createdAtMs: 1,
  approvedAtMs: 2,
};

describe('wire shapes', () => {
  it('turns a pending request into a valid PendingRequestInfo', () => {
    const info = toPendingInfo(request, 'KY34JKQK');
    expect(createValidator(PendingRequestInfoSchema).check(info)).toBe(true);
    expect(info).toMatchObject({ requestId: 'r1', verificationCode: 'KY34JKQK', commands: ['camera.snap'] });
    expect(info).not.toHaveProperty('displayName');
    expect(info).not.toHaveProperty('refreshedAtMs');
  });

  it('turns a paired device into a valid PairedDeviceInfo without token hashes', () => {
    const info = toPairedInfo(device, true);
    expect(createValidator(PairedDeviceInfoSchema).check(info)).toBe(true);
    expect(info).toMatchObject({ role: 'operator', commands: ['camera.snap'], declaredCommands: ['camera.snap', 'system.run'], connected: true });
    expect(info.tokens).toEqual([{ role: 'node', scopes: [], createdAtMs: 1, revokedAtMs: 2 }]);
    expect(JSON.stringify(info)).not.toContain(hashToken('secret'));
    expect(toPairedInfo(device)).not.toHaveProperty('connected');
  });
});
