import { describe, expect, it } from 'vitest';
import { negotiateProtocol } from './handshake.js';

describe('negotiateProtocol (gateway speaks 3 and 4)', () => {
  it.each([
    [3, 4, 4],
    [3, 3, 3],
    [4, 4, 4],
    [1, 2, undefined],
    [5, 9, undefined],
    [1, 9, 4],
    [1, 3, 3],
    [4, 3, undefined],
  ])('[%i, %i] → %s', (min, max, expected) => {
    expect(negotiateProtocol(min, max)).toBe(expected);
  });
});
