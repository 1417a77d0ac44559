import { describe, expect, it } from 'vitest';
import { addressBucket } from './address.js';
import { ConnectionBudget } from './connection-budget.js';

describe('addressBucket', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.0.0.7', '10.0.0.7'],
    ['2001:db8:1:2:aaaa::1', '2001:0db8:0001:0002::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002::/64'],
    ['::1', '0000:0000:0000:0000::/64'],
  ])('%s → %s', (ip, bucket) => expect(addressBucket(ip)).toBe(bucket));
});

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
