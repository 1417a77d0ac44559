import { describe, expect, it } from 'vitest';
import { checkLoginCode, LOGIN_CODE_TTL_MS, mintLoginCode, UI_SCOPES, UsedLoginCodes } from './ui-login-code.js';

const TOKEN = 'owner-token-0123456789';
const NOW = 1_800_000_000_000;

describe('Control UI login codes', () => {
  it('a fresh code from this token is accepted, once', () => {
    const code = mintLoginCode(TOKEN, { nowMs: NOW });
    const checked = checkLoginCode(TOKEN, code, NOW + 1000);
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const used = new UsedLoginCodes();
    expect(used.claim(checked.nonce, checked.expiresAtMs, NOW)).toBe(true);
    expect(used.claim(checked.nonce, checked.expiresAtMs, NOW + 1)).toBe(false);
  });

  it('refuses an expired code, and one claiming a lifetime no gateway mints', () => {
    expect(checkLoginCode(TOKEN, mintLoginCode(TOKEN, { nowMs: NOW }), NOW + LOGIN_CODE_TTL_MS)).toEqual({ ok: false, reason: 'expired' });
    expect(checkLoginCode(TOKEN, mintLoginCode(TOKEN, { nowMs: NOW, ttlMs: 24 * 3600_000 }), NOW)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a code minted with another token, and any tampered part', () => {
    const code = mintLoginCode(TOKEN, { nowMs: NOW });
    expect(checkLoginCode('another-token', code, NOW)).toEqual({ ok: false, reason: 'invalid' });
    const [v, issued, expires, nonce, grant, mac] = code.split('.') as [string, string, string, string, string, string];
    const later = (parseInt(expires, 36) + 60_000).toString(36);
    expect(checkLoginCode(TOKEN, [v, issued, later, nonce, grant, mac].join('.'), NOW).ok).toBe(false);
    const laterIssued = (parseInt(issued, 36) + 60_000).toString(36);
    expect(checkLoginCode(TOKEN, [v, laterIssued, expires, nonce, grant, mac].join('.'), NOW).ok).toBe(false);
    const otherNonce = `${nonce[0] === 'A' ? 'B' : 'A'}${nonce.slice(1)}`;
    expect(checkLoginCode(TOKEN, [v, issued, expires, otherNonce, grant, mac].join('.'), NOW).ok).toBe(false);
  });

  it('grants what it was minted with (all by default), operator.read always', () => {
    const full = checkLoginCode(TOKEN, mintLoginCode(TOKEN, { nowMs: NOW }), NOW);
    expect(full.ok && full.scopes).toEqual([...UI_SCOPES]);
    expect(UI_SCOPES).toEqual(['operator.read', 'operator.write', 'operator.pairing', 'operator.approvals', 'operator.admin']);
    const readOnly = checkLoginCode(TOKEN, mintLoginCode(TOKEN, { nowMs: NOW, scopes: [] }), NOW);
    expect(readOnly.ok && readOnly.scopes).toEqual(['operator.read']);
    const pairing = checkLoginCode(TOKEN, mintLoginCode(TOKEN, { nowMs: NOW, scopes: ['operator.pairing'] }), NOW);
    expect(pairing.ok && pairing.scopes).toEqual(['operator.read', 'operator.pairing']);
  });

  it('refuses a code whose grant was widened, reordered or repeated (the MAC covers it)', () => {
    const code = mintLoginCode(TOKEN, { nowMs: NOW, scopes: ['operator.write'] });
    const parts = code.split('.');
    expect(parts[4]).toBe('rw');
    for (const grant of ['rwpax', 'rx', 'wr', 'rrw']) {
      parts[4] = grant;
      expect(checkLoginCode(TOKEN, parts.join('.'), NOW)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['the token itself', TOKEN],
    ['a version we never minted', 'v3.abc.abc.AAAAAAAAAAAAAAAAAAAAAA.rwpax.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['the first version (it granted the shared token)', 'v1.abc.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a grant letter we never mint', 'v2.abc.abc.AAAAAAAAAAAAAAAAAAAAAA.rz.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['HTML', '<img src=x onerror=alert(1)>'],
    ['a very long string', 'v2.'.padEnd(100_000, 'a')],
  ])('refuses a malformed code (%s) without computing anything', (_name, code) => {
    expect(checkLoginCode(TOKEN, code, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a code made before the gateway started (its used codes were forgotten then)', () => {
    const code = mintLoginCode(TOKEN, { nowMs: NOW });
    expect(checkLoginCode(TOKEN, code, NOW + 60_000, NOW + 30_000)).toEqual({ ok: false, reason: 'before-start' });
    expect(checkLoginCode(TOKEN, code, NOW + 1_000, NOW + 1_000).ok).toBe(true);
  });

  it('a released code can be claimed again (its login failed before pairing anything)', () => {
    const used = new UsedLoginCodes();
    expect(used.claim('n', NOW + 10, NOW)).toBe(true);
    used.release('n');
    expect(used.claim('n', NOW + 10, NOW)).toBe(true);
  });

  it('forgets used codes once they expired (the table cannot grow without bound)', () => {
    const used = new UsedLoginCodes();
    expect(used.claim('a', NOW + 10, NOW)).toBe(true);
    expect(used.claim('b', NOW + 10, NOW + 20)).toBe(true);
    expect((used as unknown as { used: Map<string, number> }).used.size).toBe(1);
  });
});
