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
  kind: 'admitted' | 'pending' | 'rejected';
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
  { name: 'unknown device, manual → new request', given: state(), kind: 'pending', reason: 'not-paired', requestId: 'req-1', created: true, superseded: [], durable: true, audit: ['pair.requested'],
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
      expect(ephemeral.map((e) => e.kind)).toEqual(['pending-refreshed']);
    } },
  { name: 'different grant → supersedes', given: state({ pending: [pending()] }), claim: { commands: ['a', 'b'] },
    kind: 'pending', reason: 'not-paired', requestId: 'req-1', created: true, superseded: ['p1'], durable: true, audit: ['pair.superseded', 'pair.requested'],
    then: ({ state: next }) => expect(Object.keys(next.pending)).toEqual(['req-1']) },
  { name: 'expired requests are pruned, never refreshed', given: state({ pending: [pending({ expiresAtMs: NOW }), pending({ requestId: 'p2', deviceId: OTHER, expiresAtMs: 1 })] }),
    kind: 'pending', reason: 'not-paired', requestId: 'req-1', created: true, superseded: [], durable: true, audit: ['pair.expired', 'pair.expired', 'pair.requested'],
    then: ({ state: next }) => expect(Object.keys(next.pending)).toEqual(['req-1']) },
  { name: 'paired, valid token → admitted, nothing durable', given: state({ paired: [paired()] }), token: GOOD, kind: 'admitted', issued: false, durable: false, audit: [],
    then: ({ decision, ephemeral }) => {
      expect(decision).toMatchObject({ device: { tokens: { node: { lastUsedAtMs: NOW } } } });
      expect(ephemeral).toEqual([{ kind: 'token-used', deviceId: ID, role: 'node', hash: hashToken(GOOD), atMs: NOW }]);
    } },
  { name: 'removed by an operator, back on loopback → manual request, never silent', given: { ...state(), removed: { [ID]: { deviceId: ID, atMs: 1 } } }, auto: true, kind: 'pending', reason: 'not-paired', requestId: 'req-1', created: true, durable: true, audit: ['pair.requested'],
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
  { name: 'rejection expired → pruned, new request', given: state({ rejected: [rejection(NOW)] }), kind: 'pending', reason: 'not-paired', created: true, durable: true, audit: ['pair.requested'],
    then: ({ state: next }) => expect(next.rejected).toEqual({}) },
  { name: 'paired in cooldown asking a new role → rejected', given: state({ paired: [paired()], rejected: [rejection(NOW + 1)] }), token: GOOD, claim: { role: 'operator' },
    kind: 'rejected', durable: false, audit: [] },
  { name: 'paired in cooldown with new commands → admitted on the approved surface, no new request', given: state({ paired: [paired()], rejected: [rejection(NOW + 1)] }),
    token: GOOD, claim: { commands: ['a', 'b'] }, auto: true, kind: 'admitted', issued: false, durable: false, audit: [],
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
      { state: row.given, claim: claim(row.claim), presentedToken: row.token, autoApprove: row.auto ?? false, issueIfMissing: row.issueIfMissing, now: NOW, pendingTtlMs: TTL },
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
    row.then?.(out);
  });
});
