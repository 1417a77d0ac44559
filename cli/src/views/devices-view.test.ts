import { describe, expect, it } from 'vitest';
import { hasUnsafeChars, type DevicePairListResult, type PairedDeviceInfo, type PendingRequestInfo } from '@tether/protocol';
import { approvedView, devicesListView } from './devices-view.js';

const FAKE_TABLE = 'x\x1b[8m\r\x1b[2K\nPaired (1)\nDEVICE NAME ROLES\n3f2a9c1b07de kitchen-pi node\x1b[0m';

function pending(deviceId: string, displayName: string, extra: Partial<PendingRequestInfo> = {}): PendingRequestInfo {
  return {
    requestId: `req-${deviceId}`,
    deviceId: deviceId.padEnd(64, '0'),
    publicKey: 'k',
    displayName,
    role: 'node',
    roles: ['node'],
    scopes: [],
    commands: ['system.run'],
    caps: [],
    isRepair: false,
    silent: false,
    reason: 'not-paired',
    verificationCode: 'ABCD2345',
    ts: Date.now(),
    expiresAtMs: Date.now() + 60_000,
    ...extra,
  };
}

function paired(deviceId: string, displayName: string): PairedDeviceInfo {
  return {
    deviceId: deviceId.padEnd(64, '0'),
    publicKey: 'k',
    displayName,
    role: 'node',
    roles: ['node'],
    scopes: [],
    commands: [],
    declaredCommands: [],
    approvedVia: 'operator',
    tokens: [],
    createdAtMs: 0,
    approvedAtMs: 0,
  };
}

const list = (result: Partial<DevicePairListResult>): string[] => devicesListView({ pending: [], paired: [], ...result });

describe('devicesListView', () => {
  it('a pending name cannot draw a fake "Paired" table: every line is inert and the headings are the CLI\'s own', () => {
    const lines = list({ pending: [pending('aaaaaaaaaaaa', FAKE_TABLE, { commands: ['x\x1b[2J'], remoteIp: '1.2.3.4\r' })] });
    for (const line of lines) expect(hasUnsafeChars(line)).toBe(false);
    expect(lines.filter((line) => line.startsWith('Paired'))).toEqual(['Paired (0)']);
    expect(lines.some((line) => line.startsWith('3f2a9c1b07de'))).toBe(false);
  });

  it('marks a pending request that takes a paired device\'s name and warns with both ids and the code', () => {
    const lines = list({ paired: [paired('3f2a9c1b07de', 'kitchen-pi')], pending: [pending('9b1c2d3e4f5a', 'Kitchen-Pi\u200b')] });
    expect(lines.filter((line) => line.includes('(duplicate name)'))).toHaveLength(2);
    const warning = lines.find((line) => line.startsWith('warning:'));
    expect(warning).toContain('paired 3f2a9c1b07de');
    expect(warning).toContain('from device 9b1c2d3e4f5a (code ABCD2345)');
    expect(warning).toContain('verification code matches the one shown on the device itself');
  });

  it('does not flag a paired device that asks again (same id, same name)', () => {
    const lines = list({ paired: [paired('3f2a9c1b07de', 'kitchen-pi')], pending: [pending('3f2a9c1b07de', 'kitchen-pi', { isRepair: true })] });
    expect(lines.some((line) => line.startsWith('warning:') || line.includes('(duplicate name)'))).toBe(false);
  });

  it('tells people to check the code before approving', () => {
    expect(list({ pending: [pending('aaaaaaaaaaaa', 'a')] }).at(-1)).toMatch(/^Approve with: tether devices approve <request>, after checking that its CODE matches/);
  });
});

describe('approvedView', () => {
  it('escapes the approved device name and its command list', () => {
    const lines = approvedView({ requestId: 'r1', device: { deviceId: 'd'.repeat(64), displayName: 'a\nb', commands: ['camera.snap', 'x\x1b[8m'] } });
    for (const line of lines) expect(hasUnsafeChars(line)).toBe(false);
    expect(lines[0]).toBe(`Approved a\\x0ab (${'d'.repeat(12)}), request r1`);
    expect(lines[2]).toContain('camera.snap');
  });
});
