import { describe, expect, it } from 'vitest';
import { resolveDeviceId } from './device-prefix.js';
import { PairingStoreError } from './errors.js';

const IDS = ['66ccf747aa', '66cd0000bb', 'f7904aa52c'];

function failure(prefix: string): PairingStoreError {
  try {
    resolveDeviceId(IDS, prefix);
  } catch (error) {
    if (error instanceof PairingStoreError) return error;
    throw error;
  }
  throw new Error(`${prefix} resolved`);
}

describe('resolveDeviceId', () => {
  it.each([
    ['66ccf747aa', '66ccf747aa'],
    ['66ccf', '66ccf747aa'],
    ['66CD', '66cd0000bb'],
    [' f7 ', 'f7904aa52c'],
  ])('resolves %s', (prefix, id) => {
    expect(resolveDeviceId(IDS, prefix)).toBe(id);
  });

  it('names every candidate of an ambiguous prefix', () => {
    const error = failure('66c');
    expect(error.code).toBe('AMBIGUOUS_DEVICE');
    expect(error.message).toContain('66ccf747aa');
    expect(error.message).toContain('66cd0000bb');
  });

  it('refuses unknown and empty prefixes', () => {
    expect(failure('abc').code).toBe('UNKNOWN_DEVICE');
    expect(failure('abc').message).toContain('tether devices list');
    expect(failure('').code).toBe('UNKNOWN_DEVICE');
    expect(() => resolveDeviceId(['only'], '')).toThrow(PairingStoreError);
  });
});
