import { describe, expect, it } from 'vitest';
import { hashToken, mintToken, tokenMatches } from './tokens.js';

describe('device tokens', () => {
  it('mints 32 random bytes as 43 base64url characters', () => {
    const token = mintToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(mintToken()).not.toBe(token);
  });

  it('hashes to hex sha256', () => {
    // FIPS 180-2 test vector for "abc".
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches only the hashed token', () => {
    const token = mintToken();
    expect(tokenMatches(token, hashToken(token))).toBe(true);
    expect(tokenMatches(mintToken(), hashToken(token))).toBe(false);
    expect(tokenMatches('', hashToken(token))).toBe(false);
  });

  it('treats stored hashes of another length or format as a mismatch without throwing', () => {
    const token = mintToken();
    expect(tokenMatches(token, 'abcd')).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
    expect(tokenMatches(token, `${hashToken(token)}00`)).toBe(false);
    expect(tokenMatches(token, 'not hex at all')).toBe(false);
  });
});
