import { describe, expect, it } from 'vitest';
import { AddressFailures } from './address-failures.js';

describe('failures per address', () => {
  it('stops an address after the limit, for the window, and no other address', () => {
    let now = 0;
    const failures = new AddressFailures(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(failures.allow('10.0.0.1')).toBe(true);
      failures.fail('10.0.0.1');
    }
    expect(failures.allow('10.0.0.1')).toBe(false);
    expect(failures.allow('10.0.0.2')).toBe(true);
    now = 60_001;
    expect(failures.allow('10.0.0.1')).toBe(true);
  });

  it('stays bounded however many addresses fail', () => {
    const failures = new AddressFailures(3, 60_000, () => 0);
    for (let i = 0; i < 10_000; i++) failures.fail(`a${i}`);
    expect((failures as unknown as { failures: Map<string, number[]> }).failures.size).toBeLessThanOrEqual(4096);
  });
});
