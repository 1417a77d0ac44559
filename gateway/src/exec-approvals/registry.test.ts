import { createValidator, EXEC_APPROVAL_HISTORY_ENTRY_MAX_CHARS, ExecApprovalHistoryResultSchema, ExecApprovalRequestedEventSchema, ExecApprovalResolvedEventSchema, ExecApprovalResolveResultSchema, GatewayError, type ExecApprovalRequestParams } from '@tether/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ExecApprovalRegistry, type ApprovalOwner } from './registry.js';

const params = (overrides: Partial<ExecApprovalRequestParams> = {}): ExecApprovalRequestParams => ({
  command: 'system.run',
  argv: ['touch', '/tmp/x y'],
  cwd: '/home/pi',
  resolvedPath: '/usr/bin/touch',
  timeoutMs: 30_000,
  ...overrides,
});

class FakeOwner implements ApprovalOwner {
  isOpen = true;
}

interface Sent {
  event: string;
  payload: unknown;
  audience: { scope: string };
}

const registries: ExecApprovalRegistry[] = [];
function setup(options: { defaultTtlMs?: number; maxPendingPerNode?: number; sweepIntervalMs?: number; historyLimit?: number; historyMaxChars?: number } = {}) {
  const sent: Sent[] = [];
  const registry = new ExecApprovalRegistry({ broadcaster: { broadcast: (event, payload, audience) => sent.push({ event, payload, audience }) }, ...options });
  registries.push(registry);
  return { registry, sent, owner: new FakeOwner() };
}
afterEach(() => {
  for (const registry of registries.splice(0)) registry.close();
});

const notFound = (run: () => unknown): GatewayError => {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
};

describe('ExecApprovalRegistry', () => {
  it('opens an approval with the exact argv, cwd and node, lists it, and announces it to operator.approvals', () => {
    const { registry, sent, owner } = setup();
    const before = Date.now();
    const { approval } = registry.request({ nodeId: 'n1', displayName: 'kitchen-pi', owner, params: params() });
    expect(approval).toMatchObject({ nodeId: 'n1', displayName: 'kitchen-pi', command: 'system.run', argv: ['touch', '/tmp/x y'], cwd: '/home/pi', resolvedPath: '/usr/bin/touch' });
    expect(approval.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(approval.createdAtMs).toBeGreaterThanOrEqual(before);
    expect(approval.expiresAtMs - approval.createdAtMs).toBe(30_000);
    expect(registry.list()).toEqual([approval]);
    expect(sent).toEqual([{ event: 'exec.approval.requested', payload: approval, audience: { scope: 'operator.approvals' } }]);
    expect(createValidator(ExecApprovalRequestedEventSchema).check(sent[0]!.payload)).toBe(true);
  });

  it('caps the lifetime at the default TTL', () => {
    const { registry, owner } = setup({ defaultTtlMs: 60_000 });
    const { approval } = registry.request({ nodeId: 'n1', owner, params: params({ timeoutMs: 86_400_000 }) });
    expect(approval.expiresAtMs - approval.createdAtMs).toBe(60_000);
  });

  it('answers the node with the operator decision, once, and forgets the id', async () => {
    const { registry, sent, owner } = setup();
    const { approval, decision } = registry.request({ nodeId: 'n1', owner, params: params() });
    const result = registry.resolve(approval.id, 'allow-always');
    expect(result).toMatchObject({ ...approval, decision: 'allow-always' });
    expect(createValidator(ExecApprovalResolveResultSchema).check(result)).toBe(true);
    await expect(decision).resolves.toEqual({ id: approval.id, decision: 'allow-always', reason: 'operator', ttlMs: 30_000 });
    expect(registry.list()).toEqual([]);
    const resolved = sent.find((s) => s.event === 'exec.approval.resolved');
    expect(resolved?.payload).toMatchObject({ id: approval.id, nodeId: 'n1', decision: 'allow-always', reason: 'operator' });
    expect(createValidator(ExecApprovalResolvedEventSchema).check(resolved?.payload)).toBe(true);
    // A second answer cannot land on anything: the id is gone.
    expect(notFound(() => registry.resolve(approval.id, 'deny')).details).toEqual({ code: 'APPROVAL_NOT_FOUND', id: approval.id });
  });

  it('keeps two identical requests apart: one answer settles one run', async () => {
    const { registry, owner } = setup();
    const first = registry.request({ nodeId: 'n1', owner, params: params() });
    const second = registry.request({ nodeId: 'n1', owner, params: params() });
    expect(first.approval.id).not.toBe(second.approval.id);
    registry.resolve(first.approval.id, 'allow-once');
    await expect(first.decision).resolves.toMatchObject({ decision: 'allow-once' });
    expect(registry.list().map((a) => a.id)).toEqual([second.approval.id]);
    registry.resolve(second.approval.id, 'deny');
    await expect(second.decision).resolves.toMatchObject({ decision: 'deny', reason: 'operator' });
  });

  it('rejects an unknown id with INVALID_REQUEST / APPROVAL_NOT_FOUND and says to run tether approvals list', () => {
    const { registry } = setup();
    const error = notFound(() => registry.resolve('nope', 'allow-once'));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.detailCode).toBe('APPROVAL_NOT_FOUND');
    expect(error.message).toContain('tether approvals list');
  });

  it('expires after the request timeout: deny with reason expired, announced, and no longer answerable', async () => {
    const { registry, sent, owner } = setup();
    const started = Date.now();
    const { approval, decision } = registry.request({ nodeId: 'n1', owner, params: params({ timeoutMs: 80 }) });
    await expect(decision).resolves.toEqual({ id: approval.id, decision: 'deny', reason: 'expired', ttlMs: 80 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(registry.list()).toEqual([]);
    expect(sent.at(-1)).toMatchObject({ event: 'exec.approval.resolved', payload: { id: approval.id, decision: 'deny', reason: 'expired' } });
    expect(notFound(() => registry.resolve(approval.id, 'allow-once')).detailCode).toBe('APPROVAL_NOT_FOUND');
  });

  it("drops a disconnected node's approvals: not listed, not answerable, and the sweep announces it", async () => {
    const { registry, sent, owner } = setup({ sweepIntervalMs: 20 });
    const other = new FakeOwner();
    const gone = registry.request({ nodeId: 'n1', owner, params: params() });
    const kept = registry.request({ nodeId: 'n2', owner: other, params: params() });
    owner.isOpen = false;
    await expect(gone.decision).resolves.toMatchObject({ decision: 'deny', reason: 'node-disconnected' });
    expect(sent.at(-1)).toMatchObject({ event: 'exec.approval.resolved', payload: { id: gone.approval.id, reason: 'node-disconnected' } });
    expect(registry.list().map((a) => a.id)).toEqual([kept.approval.id]);
    expect(notFound(() => registry.resolve(gone.approval.id, 'allow-once')).detailCode).toBe('APPROVAL_NOT_FOUND');
  });

  it('checks liveness on list and resolve too, without waiting for the sweep', () => {
    const { registry, owner } = setup({ sweepIntervalMs: 60_000 });
    const { approval } = registry.request({ nodeId: 'n1', owner, params: params() });
    owner.isOpen = false;
    expect(notFound(() => registry.resolve(approval.id, 'allow-once')).detailCode).toBe('APPROVAL_NOT_FOUND');
    expect(registry.list()).toEqual([]);
  });

  it('dropOwner ends the approvals of one connection at once', async () => {
    const { registry, owner } = setup();
    const { decision } = registry.request({ nodeId: 'n1', owner, params: params() });
    expect(registry.dropOwner(owner)).toBe(1);
    await expect(decision).resolves.toMatchObject({ reason: 'node-disconnected' });
  });

  it('caps pending approvals per node, and frees a slot when one is answered', () => {
    const { registry, owner } = setup({ maxPendingPerNode: 2 });
    const first = registry.request({ nodeId: 'n1', owner, params: params() });
    registry.request({ nodeId: 'n1', owner, params: params() });
    const error = notFound(() => registry.request({ nodeId: 'n1', owner, params: params() }));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(error.message).toContain('tether approvals list');
    registry.request({ nodeId: 'n2', owner, params: params() }); // other nodes are not affected
    registry.resolve(first.approval.id, 'deny');
    expect(() => registry.request({ nodeId: 'n1', owner, params: params() })).not.toThrow();
  });
});

describe('ExecApprovalRegistry history', () => {
  const validHistory = createValidator(ExecApprovalHistoryResultSchema);

  it('remembers who answered what and when, newest first, with expiries and drops too', async () => {
    const { registry, owner } = setup({ defaultTtlMs: 60_000 });
    const once = registry.request({ nodeId: 'n1', displayName: 'kitchen-pi', owner, params: params({ argv: ['touch', '/tmp/a'] }) });
    const denied = registry.request({ nodeId: 'n1', owner, params: params({ argv: ['rm', '-rf', '/'] }) });
    const expiring = registry.request({ nodeId: 'n1', owner, params: params({ argv: ['sleep', '1'], timeoutMs: 1 }) });
    const other = new FakeOwner();
    registry.request({ nodeId: 'n2', owner: other, params: params({ argv: ['ls'] }) });
    registry.resolve(once.approval.id, 'allow-once', 'Control UI (tether-control-ui, shared token)');
    registry.resolve(denied.approval.id, 'deny', 'alice (cli, device 0123456789ab)');
    await expiring.decision;
    registry.dropOwner(other);

    const entries = registry.history();
    expect(entries.map((e) => [e.argv[0], e.decision, e.reason, e.decidedBy])).toEqual([
      ['ls', 'deny', 'node-disconnected', undefined],
      ['sleep', 'deny', 'expired', undefined],
      ['rm', 'deny', 'operator', 'alice (cli, device 0123456789ab)'],
      ['touch', 'allow-once', 'operator', 'Control UI (tether-control-ui, shared token)'],
    ]);
    expect(entries[3]).toMatchObject({ id: once.approval.id, nodeId: 'n1', displayName: 'kitchen-pi', argv: ['touch', '/tmp/a'], cwd: '/home/pi', resolvedPath: '/usr/bin/touch' });
    expect(entries[3]!.resolvedAtMs).toBeGreaterThanOrEqual(entries[3]!.createdAtMs);
    expect(registry.history(2).map((e) => e.argv[0])).toEqual(['ls', 'sleep']);
    expect(validHistory.check({ entries, limit: 200 })).toBe(true);
    // A decision in the history is still spent: answering it again is refused.
    expect(notFound(() => registry.resolve(once.approval.id, 'allow-always')).detailCode).toBe('APPROVAL_NOT_FOUND');
    expect(registry.history()).toHaveLength(4);
  });

  it('keeps only the last N decided approvals', () => {
    const { registry, owner } = setup({ historyLimit: 3, maxPendingPerNode: 100 });
    for (let i = 0; i < 10; i++) {
      const { approval } = registry.request({ nodeId: 'n1', owner, params: params({ argv: ['echo', String(i)] }) });
      registry.resolve(approval.id, 'deny');
    }
    expect(registry.history().map((e) => e.argv[1])).toEqual(['9', '8', '7']);
  });

  it('a flood of expiring approvals does not push out who approved what (lapsed entries go first)', async () => {
    const { registry, owner } = setup({ historyLimit: 3, maxPendingPerNode: 100 });
    const answered = registry.request({ nodeId: 'n1', owner, params: params({ argv: ['touch', '/tmp/a'] }) });
    registry.resolve(answered.approval.id, 'allow-once', 'alice (cli, shared token)');
    for (let i = 0; i < 20; i++) {
      const { decision } = registry.request({ nodeId: 'rogue', owner, params: params({ argv: ['sleep', String(i)], timeoutMs: 1 }) });
      await decision;
    }
    const entries = registry.history();
    expect(entries).toHaveLength(3);
    expect(entries.map((e) => e.decidedBy)).toContain('alice (cli, shared token)');
    expect(entries.filter((e) => e.reason === 'expired').map((e) => e.argv[1])).toEqual(['19', '18']);
  });

  it('a node asking with huge argvs cannot grow it: each entry is cut (and marked) and the total is bounded', () => {
    const { registry, owner } = setup({ historyMaxChars: 100_000, maxPendingPerNode: 100 });
    const huge = ['sh', ...Array.from({ length: 60 }, () => 'A'.repeat(65_536))];
    for (let i = 0; i < 50; i++) {
      const { approval } = registry.request({ nodeId: 'n1', owner, params: params({ argv: huge }) });
      registry.resolve(approval.id, 'deny', 'x'.repeat(10_000));
    }
    const entries = registry.history();
    const chars = entries.reduce((sum, e) => sum + e.argv.reduce((n, a) => n + a.length, 0) + (e.cwd?.length ?? 0) + e.resolvedPath.length + (e.decidedBy?.length ?? 0), 0);
    expect(chars).toBeLessThanOrEqual(100_000);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(entry.truncated).toBe(true);
      expect(entry.argv[0]).toBe('sh');
      expect(entry.argv.reduce((n, a) => n + a.length, 0) + (entry.cwd?.length ?? 0) + entry.resolvedPath.length).toBeLessThanOrEqual(EXEC_APPROVAL_HISTORY_ENTRY_MAX_CHARS);
      expect(entry.decidedBy!.length).toBeLessThanOrEqual(512);
    }
    expect(validHistory.check({ entries, limit: 200 })).toBe(true);
  });

  it('each argument counts against the entry bound, so thousands of short ones are cut', () => {
    const { registry, owner } = setup();
    const { approval } = registry.request({ nodeId: 'n1', owner, params: params({ argv: ['echo', ...Array.from({ length: 4_095 }, () => '')] }) });
    registry.resolve(approval.id, 'deny');
    const [entry] = registry.history();
    expect(entry!.argv.length).toBe(4_096);
    const { approval: many } = registry.request({ nodeId: 'n1', owner, params: params({ argv: ['echo', ...Array.from({ length: 4_095 }, () => 'abcd')] }) });
    registry.resolve(many.id, 'deny');
    const [cut] = registry.history();
    expect(cut!.truncated).toBe(true);
    expect(cut!.argv.reduce((n, a) => n + a.length + 1, 0)).toBeLessThanOrEqual(EXEC_APPROVAL_HISTORY_ENTRY_MAX_CHARS);
  });

  it('an approval that fits is kept whole, not marked', () => {
    const { registry, owner } = setup();
    const { approval } = registry.request({ nodeId: 'n1', owner, params: params() });
    registry.resolve(approval.id, 'allow-once');
    expect(registry.history()[0]).not.toHaveProperty('truncated');
    expect(registry.history()[0]).not.toHaveProperty('decidedBy');
  });
});
