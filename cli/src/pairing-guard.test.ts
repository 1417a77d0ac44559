import { describe, expect, it } from 'vitest';
import type { PairedDeviceInfo, PendingRequestInfo } from '@tether/protocol';
import { pairedWithSameName, sameNameRefusal } from './pairing-guard.js';

const request = (deviceId: string, displayName: string | undefined): PendingRequestInfo => ({
  requestId: 'ab12cd34-0000-0000',
  deviceId: deviceId.padEnd(64, '0'),
  publicKey: 'k',
  displayName,
  role: 'node',
  roles: ['node'],
  scopes: [],
  commands: [],
  caps: [],
  isRepair: false,
  silent: false,
  reason: 'not-paired',
  verificationCode: 'ABCD2345',
  ts: 0,
  expiresAtMs: 0,
});

const paired = (deviceId: string, displayName: string | undefined) =>
  ({ deviceId: deviceId.padEnd(64, '0'), displayName, roles: ['node'], tokens: [] }) as unknown as PairedDeviceInfo;

describe('pairedWithSameName', () => {
  const real = paired('3f2a9c1b07de', 'kitchen-pi');

  it('finds a different paired device whose name looks the same', () => {
    expect(pairedWithSameName(request('9b1c2d3e4f5a', 'Kitchen-Pi\u200b'), [real, paired('aaaa', 'garage')])).toEqual([real]);
  });

  it('ignores the same device asking again, other names and nameless requests', () => {
    expect(pairedWithSameName(request('3f2a9c1b07de', 'kitchen-pi'), [real])).toEqual([]);
    expect(pairedWithSameName(request('9b1c2d3e4f5a', 'kitchen-p1'), [real])).toEqual([]);
    expect(pairedWithSameName(request('9b1c2d3e4f5a', undefined), [real, paired('bbbb', undefined)])).toEqual([]);
  });
});

describe('sameNameRefusal', () => {
  it('names both ids and the code, and says how to refuse', () => {
    const error = sameNameRefusal(request('9b1c2d3e4f5a', 'kitchen-pi'), [paired('3f2a9c1b07de', 'kitchen-pi')]);
    expect(error.code).toBe('SAME_NAME_AS_PAIRED');
    expect(error.message).toContain('device 9b1c2d3e4f5a');
    expect(error.message).toContain('paired device 3f2a9c1b07de');
    expect(error.message).toContain('verification code (ABCD2345)');
    expect(error.message).toContain('tether devices reject ab12cd34');
  });
});
