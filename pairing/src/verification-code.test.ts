import { createPrivateKey, createPublicKey, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verificationCode } from './verification-code.js';

function rawPublicKey(seed: Buffer): Buffer {
  // PKCS#8 wrapper for a raw Ed25519 seed.
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const jwk = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
  return Buffer.from(jwk.x ?? '', 'base64url');
}

const RAW_A = rawPublicKey(Buffer.from(Array.from({ length: 32 }, (_, i) => i)));
const RAW_B = rawPublicKey(Buffer.from(Array.from({ length: 32 }, (_, i) => i + 32)));
const KEY_A = RAW_A.toString('base64url');
const KEY_B = RAW_B.toString('base64url');

/** A second, independent base32 encoder: BigInt over the first 5 digest bytes. */
function crockford40(hex: string): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const n = BigInt(`0x${hex.slice(0, 10)}`);
  return Array.from({ length: 8 }, (_, i) => alphabet[Number((n >> BigInt(35 - 5 * i)) & 31n)]).join('');
}

describe('verificationCode', () => {
  it('derives the fixed test keys', () => {
    // The seed-0..31 key is the OpenClaw protocol test vector.
    expect(KEY_A).toBe('A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg');
    expect(KEY_B).toBe('Kay64UG8yvCyLhqU000LxzYeUm0L_hLIl5S8kyKWbdc');
  });

  it('gives the known answer (computed independently in Python)', () => {
    // sha256("tether-verify-v1\0" || A || B), A < B bytewise.
    const digest = '9f86494ef3622b7f207ee9155367c2e485db824789edb7017b8e7bc0663a8ae3';
    expect(createHash('sha256').update('tether-verify-v1\0').update(RAW_A).update(RAW_B).digest('hex')).toBe(digest);
    expect(crockford40(digest)).toBe('KY34JKQK');
    expect(verificationCode(KEY_A, KEY_B)).toBe('KY34JKQK');
  });

  it('is symmetric and accepts any encoding of the same key', () => {
    expect(verificationCode(KEY_B, KEY_A)).toBe('KY34JKQK');
    const pem = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), RAW_A]), format: 'der', type: 'spki' })
      .export({ format: 'pem', type: 'spki' })
      .toString();
    expect(verificationCode(pem, RAW_B.toString('base64'))).toBe('KY34JKQK');
  });

  it('changes when either key changes', () => {
    const flipped = Buffer.from(RAW_B);
    flipped[31] = (flipped[31] ?? 0) ^ 1;
    expect(verificationCode(KEY_A, flipped.toString('base64url'))).not.toBe('KY34JKQK');
    expect(verificationCode(flipped.toString('base64url'), KEY_B)).not.toBe('KY34JKQK');
    expect(verificationCode(KEY_A, KEY_A)).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
  });

  it('throws on keys that are not Ed25519', () => {
    expect(() => verificationCode(KEY_A, 'short')).toThrow(/device public key/);
    expect(() => verificationCode('', KEY_B)).toThrow(/gateway public key/);
    expect(() => verificationCode(KEY_A, Buffer.alloc(31).toString('base64url'))).toThrow(TypeError);
  });

  it('over TLS covers the certificate fingerprint: another certificate (a man in the middle) gives another code', () => {
    const certA = 'a'.repeat(64);
    const certB = 'b'.repeat(64);
    const plain = verificationCode(KEY_A, KEY_B);
    const overA = verificationCode(KEY_A, KEY_B, certA);
    expect(plain).toBe('KY34JKQK');
    expect(overA).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(overA).not.toBe(plain);
    expect(verificationCode(KEY_A, KEY_B, certB)).not.toBe(overA);
    expect(verificationCode(KEY_B, KEY_A, certA)).toBe(overA);
    expect(() => verificationCode(KEY_A, KEY_B, 'AB:CD')).toThrow(TypeError);
  });
});
