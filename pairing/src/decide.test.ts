import { describe, expect, it } from 'vitest';
import { decide, type Decided } from './decide.js';
import { hashToken } from './tokens.js';
import type { AuditEntry, DeviceClaim, PairedDevice, PairingState, PendingReason, PendingRequest, Rejection } from './types.js';

const NOW = 1_000_000;
const TTL = 300_000;
const ID = 'd'.repeat(64);
const OTHER = 'e'.repeat(64);
const GOOD = 'good-token';

const claim = (over: Partial<DeviceClaim> = {}): DeviceClaim => ({
  deviceId: ID,
  publicKey: 'pk',
  role: 'node',
  scopes: [],
  commands: ['a'],
  caps: ['c'],
  displayName: 'Node',
  ...over,
});

const paired = (over: Partial<PairedDevice> = {}): PairedDevice => ({
  deviceId: ID,
  publicKey: 'pk',
  roles: ['node'],
  scopes: [],
  declaredCommands: ['a'],
  approvedCommands: ['a'],
  caps: ['c'],
  approvedVia: 'owner',
  tokens: { node: { role: 'node', scopes: [], hash: hashToken(GOOD), createdAtMs: 10 } },
  createdAtMs: 10,
  approvedAtMs: 10,
  ...over,
});

const pending = (over: Partial<PendingRequest> = {}): PendingRequest => ({
  requestId: 'p1',
  deviceId: ID,
  publicKey: 'pk',
  role: 'node',
  roles: ['node'],
  scopes: [],
  commands: ['a'],
  caps: ['c'],
  reason: 'not-paired',
  isRepair: false,
  silent: false,
  ts: 5,
  refreshedAtMs: 5,
  expiresAtMs: NOW + 1,
  ...over,
});

/** A request from another unknown device, held in memory like every unknown device's. */
const held = (n: number, remoteIp: string | undefined, over: Partial<PendingRequest> = {}): PendingRequest =>
  pending({ requestId: `h${n}`, deviceId: String(n).padStart(64, '0'), publicKey: `pk${n}`, remoteIp, expiresAtMs: NOW + 100_000 + n, ...over });

const rejection = (untilMs: number): Rejection => ({ requestId: 'r1', deviceId: ID, atMs: 1, untilMs });

const state = (parts: { pending?: PendingRequest[]; paired?: PairedDevice[]; rejected?: Rejection[] } = {}): PairingState => ({
  version: 1,
  pending: Object.fromEntries((parts.pending ?? []).map((p) => [p.requestId, p])),
  paired: Object.fromEntries((parts.paired ?? []).map((d) => [d.deviceId, d])),
  rejected: Object.fromEntries((parts.rejected ?? []).map((r) => [r.deviceId, r])),
});

const revoked = paired({ tokens: { node: { role: 'node', scopes: [], hash: hashToken(GOOD), createdAtMs: 10, revokedAtMs: 20 } } });
const operator = paired({ roles: ['operator'], scopes: ['operator.read'], tokens: {} });

interface Row {
  name: string;
  given: PairingState;
  claim?: Partial<DeviceClaim>;
  token?: string;
  auto?: boolean;
  issueIfMissing?: boolean;
  limits?: { total: number; perAddress: number };
  kind: 'admitted' | 'pending' | 'rejected' | 'throttled';
  /** For throttled decisions: which cap, and how long until its bucket's first request expires. */
  limit?: 'per-address' | 'total';
  retryAfterMs?: number;
  /** Pending reason, or the surface request's reason when admitted. */
  reason?: PendingReason;
  requestId?: string;
  created?: boolean;
  superseded?: string[];
  issued?: boolean;
  durable: boolean;
  audit: AuditEntry['action'][];
  then?: (out: Decided) => void;
}

const rows: Row[] = [
  { name: 'unknown device, manual → new request held in memory: nothing durable, no audit line', given: state(), kind: 'pending', reason: 'not-paired', requestId: 'req-1', created: true, superseded: [], durable: false, audit: [],
    then: ({ decision }) => expect(decision).toMatchObject({ request: { isRepair: false, silent: false, expiresAtMs: NOW + TTL, commands: ['a'] } }) },
  { name: 'unknown device, auto → paired silently with a token', given: state(), auto: true, claim: { commands: ['b', 'a'] }, kind: 'admitted', issued: true, durable: true,
    audit: ['pair.requested', 'pair.approved', 'token.issued'],
    then: ({ decision, state: next }) => {
      expect(decision).toMatchObject({ device: { approvedVia: 'silent', roles: ['node'], declaredCommands: ['a', 'b'], approvedCommands: ['a', 'b'], caps: ['c'], displayName: 'Node' } });
      expect(next.pending).toEqual({});
      expect(next.paired[ID]?.tokens.node?.hash).toBe(hashToken('tok-1'));
    } },
  { name: 'same grant → same requestId refreshed in memory', given: state({ pending: [pending({ commands: ['a'] })] }), claim: { displayName: 'Renamed' },
    kind: 'pending', reason: 'not-paired', requestId: 'p1', created: false, superseded: [], durable: false, audit: [],
    then: ({ decision, ephemeral }) => {
      expect(decision).toMatchObject({ request: { ts: 5, refreshedAtMs: NOW, expiresAtMs: NOW + TTL, displayName: 'Renamed' } });
      expect(ephemeral).toEqual([]); // an unknown device's request never reaches the disk, not even batched
    } },
  { name: 'paired device, same repair grant → refreshed, batched for the disk', given: state({ paired: [paired()], pending: [pending({ reason: 'role-upgrade', role: 'operator', roles: ['node', 'operator'], isRepair: true })] }),
    claim: { role: 'operator' }, kind: 'pending', reason: 'role-upgrade', requestId: 'p1', created: false, superseded: [], durable: false, audit: [],
    then: ({ ephemeral }) => expect(ephemeral.map((e) => e.kind)).toEqual(['pending-refreshed']) },
  { name: 'different grant → supersedes, still in memory', given: state({ pending: [pending()] }), claim: { commands: ['a', 'b'] },
    kind: 'pending', reason: 'not-paired', requestId: 'req-1', created: true, superseded: ['p1'], durable: false, audit: [],
    then: ({ state: next }) => expect(Object.keys(next.pending)).toEqual(['req-1']) },
  { name: 'expired unknown-device requests are dropped silently, never refreshed', given: state({ pending: [pending({ expiresAtMs: NOW }), pending({ requestId: 'p2', deviceId: OTHER, expiresAtMs: 1 })] }),
    kind: 'pending', reason: 'not-paired', requestId: 'req-1', created: true, superseded: [], durable: false, audit: [],
    then: ({ state: next }) => expect(Object.keys(next.pending)).toEqual(['req-1']) },
  { name: 'paired, valid token → admitted, nothing durable', given: state({ paired: [paired()] }), token: GOOD, kind: 'admitted', issued: false, durable: false, audit: [],
    then: ({ decision, ephemeral }) => {
      expect(decision).toMatchObject({ device: { tokens: { node: { lastUsedAtMs: NOW } } } });
      expect(ephemeral).toEqual([{ kind: 'token-used', deviceId: ID, role: 'node', hash: hashToken(GOOD), atMs: NOW }]);
    } },
  { name: 'removed by an operator, back on loopback → manual request, never silent', given: { ...state(), removed: { [ID]: { deviceId: ID, atMs: 1 } } }, auto: true, kind: 'pending', reason: 'not-paired', requestId: 'req-1', created: true, durable: false, audit: [],
    then: ({ decision }) => expect(decision).toMatchObject({ request: { silent: false } }) },
  { name: 'paired, stale token → fresh token (rotated)', given: state({ paired: [paired()] }), token: 'stale', kind: 'admitted', issued: true, durable: true, audit: ['token.issued'],
    then: ({ state: next, audit }) => {
      expect(next.paired[ID]?.tokens.node).toMatchObject({ hash: hashToken('tok-1'), createdAtMs: 10, rotatedAtMs: NOW });
      expect(audit[0]?.detail).toEqual({ reason: 'mismatch' });
    } },
  { name: 'paired, token record but none presented → fresh token (the device lost it)', given: state({ paired: [paired()] }), kind: 'admitted', issued: true, durable: true, audit: ['token.issued'],
    then: ({ audit }) => expect(audit[0]?.detail).toEqual({ reason: 'mismatch' }) },
  { name: 'paired, none presented by a shared-token client → admitted on the key, no new token', given: state({ paired: [paired()] }), issueIfMissing: false, kind: 'admitted', issued: false, durable: false, audit: [],
    then: ({ state: next }) => expect(next.paired[ID]?.tokens.node).toMatchObject({ hash: hashToken(GOOD) }) },
  { name: 'paired, no token record yet → first token', given: state({ paired: [paired({ tokens: {} })] }), token: GOOD, kind: 'admitted', issued: true, durable: true, audit: ['token.issued'],
    then: ({ state: next }) => expect(next.paired[ID]?.tokens.node).toEqual({ role: 'node', scopes: [], hash: hashToken('tok-1'), createdAtMs: NOW }) },
  { name: 'new role, manual → role-upgrade repair', given: state({ paired: [paired()] }), claim: { role: 'operator' }, kind: 'pending', reason: 'role-upgrade', requestId: 'req-1', created: true, durable: true, audit: ['pair.requested'],
    then: ({ decision }) => expect(decision).toMatchObject({ request: { isRepair: true, silent: false, roles: ['node', 'operator'] } }) },
  { name: 'new role, auto → approved silently', given: state({ paired: [paired()] }), claim: { role: 'operator' }, auto: true, kind: 'admitted', issued: true, durable: true,
    audit: ['pair.requested', 'pair.approved', 'token.issued'],
    then: ({ state: next }) => {
      expect(next.paired[ID]).toMatchObject({ roles: ['node', 'operator'], approvedVia: 'silent' });
      expect(Object.keys(next.paired[ID]?.tokens ?? {})).toEqual(['node', 'operator']);
    } },
  { name: 'wider scopes, manual → scope-upgrade', given: state({ paired: [operator] }), claim: { role: 'operator', scopes: ['operator.read', 'operator.write'] },
    kind: 'pending', reason: 'scope-upgrade', requestId: 'req-1', created: true, durable: true, audit: ['pair.requested'] },
  { name: 'wider scopes, auto → still scope-upgrade, never silent', given: state({ paired: [operator] }), claim: { role: 'operator', scopes: ['operator.admin'] }, auto: true,
    kind: 'pending', reason: 'scope-upgrade', requestId: 'req-1', created: true, durable: true, audit: ['pair.requested'] },
  { name: 'new role with wider scopes, auto → scope-upgrade, never silent', given: state({ paired: [paired()] }), claim: { role: 'operator', scopes: ['operator.admin'] }, auto: true,
    kind: 'pending', reason: 'scope-upgrade', requestId: 'req-1', created: true, durable: true, audit: ['pair.requested'] },
  { name: 'revoked token, manual → token-revoked repair', given: state({ paired: [revoked] }), token: GOOD, kind: 'pending', reason: 'token-revoked', requestId: 'req-1', created: true, durable: true, audit: ['pair.requested'] },
  { name: 'revoked token, auto → still a repair, never silent', given: state({ paired: [revoked] }), token: GOOD, auto: true,
    kind: 'pending', reason: 'token-revoked', requestId: 'req-1', created: true, durable: true, audit: ['pair.requested'] },
  { name: 'new commands, manual → admitted with a surface request', given: state({ paired: [paired()] }), token: GOOD, claim: { commands: ['b', 'a'] },
    kind: 'admitted', reason: 'surface-upgrade', issued: false, durable: true, audit: ['pair.requested'],
    then: ({ decision, state: next }) => {
      expect(decision).toMatchObject({ device: { approvedCommands: ['a'] }, surfaceRequest: { requestId: 'req-1', isRepair: true, commands: ['a', 'b'] } });
      expect(next.paired[ID]?.declaredCommands).toEqual(['a']);
    } },
  { name: 'new commands, auto → approved silently, earlier exclusions kept', given: state({ paired: [paired({ declaredCommands: ['a', 'x'], approvedCommands: ['a'] })] }), token: GOOD,
    claim: { commands: ['a', 'b', 'x'] }, auto: true, kind: 'admitted', issued: false, durable: true, audit: ['pair.requested', 'pair.approved'],
    then: ({ decision, state: next }) => {
      expect(decision).toMatchObject({ device: { declaredCommands: ['a', 'b', 'x'], approvedCommands: ['a', 'b'] } });
      expect(next.pending).toEqual({});
    } },
  { name: 'unknown device in cooldown → rejected', given: state({ rejected: [rejection(NOW + 1)] }), auto: true, kind: 'rejected', durable: false, audit: [] },
  { name: 'rejection expired → pruned (durable), new request in memory', given: state({ rejected: [rejection(NOW)] }), kind: 'pending', reason: 'not-paired', created: true, durable: true, audit: [],
    then: ({ state: next }) => expect(next.rejected).toEqual({}) },
  { name: 'paired in cooldown asking a new role → rejected', given: state({ paired: [paired()], rejected: [rejection(NOW + 1)] }), token: GOOD, claim: { role: 'operator' },
    kind: 'rejected', durable: false, audit: [] },
  { name: 'paired in cooldown with new commands → admitted on the approved surface, no new request', given: state({ paired: [paired()], rejected: [rejection(NOW + 1)] }),
    token: GOOD, claim: { commands: ['a', 'b'] }, auto: true, kind: 'admitted', issued: false, durable: false, audit: [],
    then: ({ decision, state: next }) => {
      expect(decision).not.toHaveProperty('surfaceRequest');
      expect(next.pending).toEqual({});
    } },
  { name: 'expired repair requests of paired devices are pruned with an audit line', given: state({ paired: [operator], pending: [pending({ deviceId: ID, reason: 'scope-upgrade', role: 'operator', expiresAtMs: NOW })] }),
    claim: { role: 'operator', scopes: ['operator.read'] }, kind: 'admitted', issued: true, durable: true, audit: ['pair.expired', 'token.issued'],
    then: ({ state: next }) => expect(next.pending).toEqual({}) },

  // Unknown-device caps (finding 7): a new unknown device is not queued once its address or the total is full.
  { name: 'per-address cap reached → throttled until the bucket\'s first request expires', given: state({ pending: [held(1, '10.0.0.1'), held(2, '10.0.0.1'), held(3, '10.0.0.2')] }),
    claim: { remoteIp: '10.0.0.1' }, limits: { total: 10, perAddress: 2 }, kind: 'throttled', limit: 'per-address', retryAfterMs: 100_001, durable: false, audit: [],
    then: ({ state: next }) => expect(Object.keys(next.pending).sort()).toEqual(['h1', 'h2', 'h3']) },
  { name: 'per-address cap: IPv4-mapped IPv6 counts as the IPv4 address', given: state({ pending: [held(1, '10.0.0.1'), held(2, '10.0.0.1')] }),
    claim: { remoteIp: '::ffff:10.0.0.1' }, limits: { total: 10, perAddress: 2 }, kind: 'throttled', limit: 'per-address', retryAfterMs: 100_001, durable: false, audit: [] },
  { name: 'per-address cap: IPv6 addresses in one /64 share a bucket', given: state({ pending: [held(1, '2001:db8:1:2::1'), held(2, '2001:db8:1:2:ffff::9')] }),
    claim: { remoteIp: '2001:db8:1:2:abcd::1' }, limits: { total: 10, perAddress: 2 }, kind: 'throttled', limit: 'per-address', retryAfterMs: 100_001, durable: false, audit: [] },
  { name: 'per-address cap: another /64 is another bucket', given: state({ pending: [held(1, '2001:db8:1:2::1'), held(2, '2001:db8:1:2::2')] }),
    claim: { remoteIp: '2001:db8:1:3::1' }, limits: { total: 10, perAddress: 2 }, kind: 'pending', reason: 'not-paired', created: true, durable: false, audit: [] },
  { name: 'total cap reached → throttled until the first request anywhere expires', given: state({ pending: [held(3, '10.0.0.3'), held(1, '10.0.0.1'), held(2, '10.0.0.2')] }),
    claim: { remoteIp: '10.0.0.9' }, limits: { total: 3, perAddress: 2 }, kind: 'throttled', limit: 'total', retryAfterMs: 100_001, durable: false, audit: [] },
  { name: 'throttled: retryAfterMs is at least 1 s', given: state({ pending: [held(1, '10.0.0.1', { expiresAtMs: NOW + 10 })] }),
    claim: { remoteIp: '10.0.0.1' }, limits: { total: 10, perAddress: 1 }, kind: 'throttled', limit: 'per-address', retryAfterMs: 1_000, durable: false, audit: [] },
  { name: 'caps full: the same device retrying refreshes its request', given: state({ pending: [pending({ remoteIp: '10.0.0.1' }), held(2, '10.0.0.1')] }),
    claim: { remoteIp: '10.0.0.1' }, limits: { total: 2, perAddress: 2 }, kind: 'pending', reason: 'not-paired', requestId: 'p1', created: false, superseded: [], durable: false, audit: [],
    then: ({ decision }) => expect(decision).toMatchObject({ request: { expiresAtMs: NOW + TTL } }) },
  { name: 'caps full: the same device asking a different grant replaces its own slot', given: state({ pending: [pending({ remoteIp: '10.0.0.1' }), held(2, '10.0.0.1')] }),
    claim: { remoteIp: '10.0.0.1', commands: ['a', 'b'] }, limits: { total: 2, perAddress: 2 }, kind: 'pending', reason: 'not-paired', requestId: 'req-1', created: true, superseded: ['p1'], durable: false, audit: [] },
  { name: 'caps full: an expired in-memory request frees its slot', given: state({ pending: [held(1, '10.0.0.1', { expiresAtMs: NOW }), held(2, '10.0.0.1')] }),
    claim: { remoteIp: '10.0.0.1' }, limits: { total: 2, perAddress: 2 }, kind: 'pending', reason: 'not-paired', requestId: 'req-1', created: true, durable: false, audit: [],
    then: ({ state: next }) => expect(Object.keys(next.pending).sort()).toEqual(['h2', 'req-1']) },
  { name: 'caps full: a paired device\'s repair is still queued (durable)', given: state({ paired: [paired()], pending: [held(1, '10.0.0.1'), held(2, '10.0.0.1')] }),
    claim: { role: 'operator', remoteIp: '10.0.0.1' }, limits: { total: 2, perAddress: 1 }, kind: 'pending', reason: 'role-upgrade', requestId: 'req-1', created: true, durable: true, audit: ['pair.requested'] },
  { name: 'caps full: a silent loopback pairing queues nothing, so it is not throttled', given: state({ pending: [held(1, '127.0.0.1')] }),
    claim: { remoteIp: '127.0.0.1' }, auto: true, limits: { total: 1, perAddress: 1 }, kind: 'admitted', issued: true, durable: true, audit: ['pair.requested', 'pair.approved', 'token.issued'] },
  { name: 'a held request of a device that got paired meanwhile is dropped', given: state({ paired: [paired()], pending: [pending()] }), token: GOOD,
    kind: 'admitted', issued: false, durable: false, audit: [],
    then: ({ state: next }) => expect(next.pending).toEqual({}) },

  // Finding 9: an operator approval must not touch the node's command surface.
  { name: 'node asks operator, auto → approved silently, node surface kept', given: state({ paired: [paired({ declaredCommands: ['a', 'x'], approvedCommands: ['a'] })] }),
    claim: { role: 'operator', commands: [], caps: [] }, auto: true, kind: 'admitted', issued: true, durable: true, audit: ['pair.requested', 'pair.approved', 'token.issued'],
    then: ({ state: next }) => expect(next.paired[ID]).toMatchObject({ roles: ['node', 'operator'], declaredCommands: ['a', 'x'], approvedCommands: ['a'], caps: ['c'] }) },
  { name: 'operator declaring commands → admitted, no surface request (commands are a node surface)', given: state({ paired: [operator] }), claim: { role: 'operator', scopes: ['operator.read'], commands: ['a', 'b'] },
    kind: 'admitted', issued: true, durable: true, audit: ['token.issued'],
    then: ({ decision, state: next }) => {
      expect(decision).not.toHaveProperty('surfaceRequest');
      expect(next.pending).toEqual({});
    } },
];

describe('decide', () => {
  it.each(rows)('$name', (row) => {
    let tokens = 0;
    let ids = 0;
    const given = structuredClone(row.given);
    const out = decide(
      { state: row.given, claim: claim(row.claim), presentedToken: row.token, autoApprove: row.auto ?? false, issueIfMissing: row.issueIfMissing, now: NOW, pendingTtlMs: TTL, ...(row.limits && { limits: row.limits }) },
      { mintToken: () => `tok-${++tokens}`, newRequestId: () => `req-${++ids}` },
    );
    const { decision } = out;
    expect(decision.kind).toBe(row.kind);
    expect(out.durable).toBe(row.durable);
    expect(out.audit.map((entry) => entry.action)).toEqual(row.audit);
    expect(row.given).toEqual(given); // the input is never mutated
    for (const request of Object.values(out.state.pending)) expect(request.expiresAtMs).toBeGreaterThan(NOW);
    if (decision.kind === 'pending') {
      expect(decision.request.reason).toBe(row.reason);
      expect(out.state.pending[decision.request.requestId]).toEqual(decision.request);
      if (row.requestId) expect(decision.request.requestId).toBe(row.requestId);
      expect(decision.created).toBe(row.created);
      if (row.superseded) expect(decision.superseded.map((r) => r.requestId)).toEqual(row.superseded);
      expect(decision.request.silent).toBe(false);
    }
    if (decision.kind === 'admitted') {
      expect(out.state.paired[ID]).toEqual(decision.device);
      expect(decision.issuedToken).toBe(row.issued ? 'tok-1' : undefined);
      expect(decision.surfaceRequest?.reason).toBe(row.reason);
    }
    if (decision.kind === 'throttled') {
      expect(decision).toEqual({ kind: 'throttled', limit: row.limit, retryAfterMs: row.retryAfterMs });
      expect(out.ephemeral).toEqual([]);
    }
    row.then?.(out);
  });
});
