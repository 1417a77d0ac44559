/**
 * One-time login codes for the Control UI. `tether dashboard` mints one from the shared token it
 * already holds (no round trip, so it works while the gateway is busy or on another host); the page
 * finds it in the URL fragment (never sent in a request line, so never in an access log), trades it
 * once at `POST /ui/login`, and removes it from the address bar. A code is bound to this gateway's
 * token by an HMAC, expires within minutes, and the gateway remembers it was used until it expires.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const LOGIN_CODE_TTL_MS = 120_000;
/** A code claiming a later expiry than this was not minted by us (or the clocks are far apart). */
const MAX_TTL_MS = 10 * 60_000;
const CODE_PATTERN = /^v1\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

function mac(token: string, expires: string, nonce: string): Buffer {
  return createHmac('sha256', token).update(`tether-ui-login\n${expires}\n${nonce}`).digest();
}

export function mintLoginCode(token: string, nowMs = Date.now(), ttlMs = LOGIN_CODE_TTL_MS): string {
  const expires = (nowMs + ttlMs).toString(36);
  const nonce = randomBytes(16).toString('base64url');
  return `v1.${expires}.${nonce}.${mac(token, expires, nonce).toString('base64url')}`;
}

export type LoginCodeCheck = { ok: true; nonce: string; expiresAtMs: number } | { ok: false; reason: 'malformed' | 'expired' | 'invalid' };

/** Checks shape, lifetime and HMAC; single use is the caller's (it holds the used nonces). */
export function checkLoginCode(token: string, code: unknown, nowMs = Date.now()): LoginCodeCheck {
  if (typeof code !== 'string') return { ok: false, reason: 'malformed' };
  const match = CODE_PATTERN.exec(code);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, expires, nonce, signature] = match as unknown as [string, string, string, string];
  const expiresAtMs = parseInt(expires, 36);
  const expected = mac(token, expires, nonce);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  if (expiresAtMs <= nowMs || expiresAtMs > nowMs + MAX_TTL_MS) return { ok: false, reason: 'expired' };
  return { ok: true, nonce, expiresAtMs };
}

/** The nonces already traded, kept until their codes expire. */
export class UsedLoginCodes {
  private readonly used = new Map<string, number>();

  /** True the first time a nonce is claimed; false ever after (until it expired anyway). */
  claim(nonce: string, expiresAtMs: number, nowMs = Date.now()): boolean {
    for (const [key, expiry] of this.used) if (expiry <= nowMs) this.used.delete(key);
    if (this.used.has(nonce)) return false;
    this.used.set(nonce, expiresAtMs);
    return true;
  }
}
