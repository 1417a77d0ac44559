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
});
