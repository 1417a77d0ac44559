import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PublicKeyCache } from './key-cache.js';

function rawKey(): Buffer {
  return Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url');
}

describe('PublicKeyCache', () => {
  it('returns the same KeyObject for the same key and distinct ones for others', () => {
    const cache = new PublicKeyCache();
    const a = rawKey();
    const b = rawKey();
    expect(cache.get(a)).toBe(cache.get(Buffer.from(a)));
    expect(cache.get(b)).not.toBe(cache.get(a));
    expect(cache.get(a).asymmetricKeyType).toBe('ed25519');
  });

  it('evicts the least recently used key beyond 1024', () => {
    const cache = new PublicKeyCache();
    const first = rawKey();
    const kept = cache.get(first);
    for (let i = 0; i < 1024; i++) cache.get(rawKey());
    expect(cache.get(first)).not.toBe(kept);
  });
});
