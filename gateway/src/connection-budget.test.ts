import { describe, expect, it } from 'vitest';
import { ConnectionBudget } from './connection-budget.js';

describe('ConnectionBudget', () => {
  it('caps per address bucket, then in total, and gives slots back once', () => {
    const budget = new ConnectionBudget({ perAddress: 2, total: 3 });
    const a1 = budget.acquire('10.0.0.1');
    const a2 = budget.acquire('10.0.0.1');
    expect(budget.acquire('10.0.0.1')).toEqual({ ok: false, limit: 'per-address' });
    // A fresh IPv6 address in the same /64 is the same bucket.
    const v6 = budget.acquire('2001:db8::1');
    expect(budget.acquire('2001:db8::2')).toEqual({ ok: false, limit: 'total' });
    expect(budget.size).toBe(3);
    if (!a1.ok || !a2.ok || !v6.ok) throw new Error('expected slots');
    a1.release();
    a1.release(); // idempotent: a double release must not free someone else's slot
    expect(budget.size).toBe(2);
    expect(budget.acquire('10.0.0.1').ok).toBe(true);
    expect(budget.acquire('10.0.0.9')).toEqual({ ok: false, limit: 'total' });
  });

  it('an evicting budget cuts the oldest socket of the bucket (or of the fullest bucket) to make room', () => {
    const cut: string[] = [];
    const budget = new ConnectionBudget({ perAddress: 2, total: 3 }, { evictOldest: true });
    budget.acquire('127.0.0.2', () => cut.push('a1'));
    budget.acquire('127.0.0.3', () => cut.push('a2')); // the same loopback bucket as 127.0.0.2
    budget.acquire('10.0.0.1', () => cut.push('b1'));
    // Bucket full: the owner's socket from loopback gets in, the stranger's oldest is cut.
    expect(budget.acquire('127.0.0.1', () => cut.push('owner')).ok).toBe(true);
    expect(cut).toEqual(['a1']);
    // Total full: the fullest bucket (loopback) gives up its oldest again.
    expect(budget.acquire('10.0.0.9').ok).toBe(true);
    expect(cut).toEqual(['a1', 'a2']);
    expect(budget.size).toBe(3);
  });
});
