import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  it('doubles from 1 s and caps at 30 s without jitter', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelayMs(a, { jitter: 0 }));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('spreads within ±20 % and never exceeds the cap', () => {
    expect(backoffDelayMs(1, { random: () => 0 })).toBe(1600);
    expect(backoffDelayMs(1, { random: () => 1 })).toBe(2400);
    expect(backoffDelayMs(9, { random: () => 1 })).toBe(30000);
  });
});
