/**
 * Device tokens: 32 random bytes shown once; only hex(sha256(token)) is stored, so a leaked state
 * file grants nothing (OpenClaw keeps them in plaintext).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function mintToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant time in the token: both sides are 32-byte digests, whatever the caller presented. */
export function tokenMatches(token: string, hash: string): boolean {
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
