import { describe, expect, it } from 'vitest';
import type { PairedDevice } from '@tether/pairing';
import { auditAll, auditBind, auditChannels, auditDevices, auditNodeCommands, auditOrigins, type AuditConfig } from './rules.js';
import { hasCritical, sortFindings } from './finding.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1);

function config(overrides: Partial<AuditConfig> = {}): AuditConfig {
  return {
    host: '127.0.0.1',
    authMode: 'token',
    tls: { enabled: false },
    allowedOrigins: [],
    allowCommands: [],
    autoApproveLoopback: false,
    configPath: '/state/tether.json',
    agent: { model: undefined, scopes: ['operator.read', 'operator.write'], policy: {} },
    channels: {},
    ...overrides,
  };
}

function device(overrides: Partial<PairedDevice> = {}): PairedDevice {
  return {
    deviceId: 'a'.repeat(64),
    publicKey: 'k',
    displayName: 'laptop',
    roles: ['operator'],
    scopes: ['operator.read'],
    declaredCommands: [],
    approvedCommands: [],
    caps: [],
    approvedVia: 'owner',
    tokens: { operator: { role: 'operator', scopes: ['operator.read'], hash: 'h', createdAtMs: NOW - DAY } },
    createdAtMs: NOW - DAY,
    approvedAtMs: NOW - DAY,
    ...overrides,
  } as PairedDevice;
}

const ids = (findings: { id: string }[]) => findings.map((f) => f.id);

describe('auditBind', () => {
  it('a public bind without TLS is critical', () => {
    const findings = auditBind(config({ host: '0.0.0.0', tls: { enabled: false } }));
    expect(findings.find((f) => f.id === 'bind.public-without-tls')?.severity).toBe('critical');
    expect(hasCritical(findings)).toBe(true);
  });
  it('a public bind without auth is critical', () => {
    expect(auditBind(config({ host: '192.168.1.5', authMode: 'none', tls: { enabled: true } })).map((f) => [f.id, f.severity])).toContainEqual(['bind.public-without-auth', 'critical']);
  });
  it('a LAN bind with token and TLS has no critical finding', () => {
    expect(hasCritical(auditBind(config({ host: '192.168.1.5', tls: { enabled: true } })))).toBe(false);
  });
  it('loopback with auth off is a warning; loopback with a token is clean', () => {
    expect(auditBind(config({ authMode: 'none' })).map((f) => f.severity)).toEqual(['warn']);
    expect(auditBind(config())).toEqual([]);
  });
});

describe('auditOrigins', () => {
  it('a wildcard origin is critical', () => {
    expect(auditOrigins(config({ allowedOrigins: ['*'] })).map((f) => [f.id, f.severity])).toEqual([['origins.wildcard', 'critical']]);
    expect(auditOrigins(config({ allowedOrigins: ['https://*.example.com'] }))[0]?.severity).toBe('critical');
  });
  it('plain http beyond loopback warns; loopback http and https do not', () => {
    expect(ids(auditOrigins(config({ allowedOrigins: ['http://10.0.0.2:8080'] })))).toEqual(['origins.plain-http']);
    expect(auditOrigins(config({ allowedOrigins: ['http://127.0.0.1:5173', 'http://localhost:3000', 'https://ui.example'] }))).toEqual([]);
  });
});

describe('auditNodeCommands', () => {
  it('system.run allowed everywhere is reported, in any form', () => {
    for (const entry of ['system.run', 'system.*', '*']) expect(ids(auditNodeCommands(config({ allowCommands: [entry] })))).toEqual(['nodes.system-run-allowed']);
    expect(auditNodeCommands(config({ allowCommands: ['camera.snap'] }))).toEqual([]);
  });
});

describe('auditDevices', () => {
  it('reports operator.admin devices', () => {
    expect(ids(auditDevices({ paired: [device({ scopes: ['operator.admin'] })], nowMs: NOW }))).toEqual(['devices.operator-admin']);
  });
  it('reports a token never rotated past the limit, not a fresh, rotated or revoked one', () => {
    const old = device({ tokens: { operator: { role: 'operator', scopes: [], hash: 'h', createdAtMs: NOW - 200 * DAY } } });
    expect(auditDevices({ paired: [old], nowMs: NOW }).map((f) => [f.id, f.severity])).toEqual([['tokens.not-rotated', 'warn']]);
    const rotated = device({ tokens: { operator: { role: 'operator', scopes: [], hash: 'h', createdAtMs: NOW - 200 * DAY, rotatedAtMs: NOW - DAY } } });
    const revoked = device({ tokens: { operator: { role: 'operator', scopes: [], hash: 'h', createdAtMs: NOW - 200 * DAY, revokedAtMs: NOW - DAY } } });
    expect(auditDevices({ paired: [rotated, revoked, device()], nowMs: NOW })).toEqual([]);
    expect(auditDevices({ paired: [old], nowMs: NOW }, { tokenMaxAgeDays: 365 })).toEqual([]);
  });
  it('a hostile display name is carried as data, not trusted', () => {
    const findings = auditDevices({ paired: [device({ displayName: '\u001b[31mevil\nline', scopes: ['operator.admin'] })], nowMs: NOW });
    expect(findings[0]?.message).toContain('evil');
  });
});

describe('auditChannels', () => {
  it('an open DM policy is critical when an agent answers, a warning without one', () => {
    expect(auditChannels(config({ channels: { telegram: { dmPolicy: 'open' } }, agent: { model: 'm', scopes: ['operator.read'], policy: {} } }))[0]?.severity).toBe('critical');
    expect(auditChannels(config({ channels: { telegram: { dmPolicy: 'open' } } }))[0]?.severity).toBe('warn');
    expect(auditChannels(config({ channels: { telegram: { dmPolicy: 'pairing' } } }))).toEqual([]);
  });
});

describe('auditAll', () => {
  it('reports the agent scopes when a model is set, and sorts critical first', () => {
    const findings = sortFindings(auditAll(config({ host: '0.0.0.0', agent: { model: 'm', scopes: ['operator.read', 'operator.write'], policy: {} } }), { paired: [], nowMs: NOW }));
    expect(findings[0]?.severity).toBe('critical');
    expect(ids(findings)).toContain('agent.scopes');
  });
  it('a default loopback config has no warning or critical', () => {
    expect(auditAll(config(), { paired: [], nowMs: NOW }).filter((f) => f.severity !== 'info')).toEqual([]);
  });
});
