import { describe, expect, it } from 'vitest';
import { checkLoginCode, LOGIN_CODE_TTL_MS, mintLoginCode, UsedLoginCodes } from './ui-login-code.js';

const TOKEN = 'owner-token-0123456789';
const NOW = 1_800_000_000_000;

describe('Control UI login codes', () => {
  it('a fresh code from this token is accepted, once', () => {
    const code = mintLoginCode(TOKEN, NOW);
    const checked = checkLoginCode(TOKEN, code, NOW + 1000);
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const used = new UsedLoginCodes();
    expect(used.claim(checked.nonce, checked.expiresAtMs, NOW)).toBe(true);
    expect(used.claim(checked.nonce, checked.expiresAtMs, NOW + 1)).toBe(false);
  });

  it('refuses an expired code, and one claiming a lifetime no gateway mints', () => {
    expect(checkLoginCode(TOKEN, mintLoginCode(TOKEN, NOW), NOW + LOGIN_CODE_TTL_MS)).toEqual({ ok: false, reason: 'expired' });
    expect(checkLoginCode(TOKEN, mintLoginCode(TOKEN, NOW, 24 * 3600_000), NOW)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a code minted with another token, and any tampered part', () => {
    const code = mintLoginCode(TOKEN, NOW);
    expect(checkLoginCode('another-token', code, NOW)).toEqual({ ok: false, reason: 'invalid' });
    const [v, expires, nonce, mac] = code.split('.') as [string, string, string, string];
    const later = (parseInt(expires, 36) + 60_000).toString(36);
    expect(checkLoginCode(TOKEN, [v, later, nonce, mac].join('.'), NOW).ok).toBe(false);
    const otherNonce = `${nonce[0] === 'A' ? 'B' : 'A'}${nonce.slice(1)}`;
    expect(checkLoginCode(TOKEN, [v, expires, otherNonce, mac].join('.'), NOW).ok).toBe(false);
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['the token itself', TOKEN],
    ['a version we never minted', 'v2.abc.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['HTML', '<img src=x onerror=alert(1)>'],
    ['a very long string', 'v1.'.padEnd(100_000, 'a')],
  ])('refuses a malformed code (%s) without computing anything', (_name, code) => {
    expect(checkLoginCode(TOKEN, code, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('forgets used codes once they expired (the table cannot grow without bound)', () => {
    const used = new UsedLoginCodes();
    expect(used.claim('a', NOW + 10, NOW)).toBe(true);
    expect(used.claim('b', NOW + 10, NOW + 20)).toBe(true);
    expect((used as unknown as { used: Map<string, number> }).used.size).toBe(1);
  });
});
