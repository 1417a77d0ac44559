/**
 * One-time login codes for the Control UI. `tether dashboard` mints one from the shared token it
 * already holds (no round trip, so it works while the gateway is busy or on another host); the page
 * finds it in the URL fragment (never sent in a request line, so never in an access log), trades it
 * once at `POST /ui/login` for the pairing of its own browser device identity, and removes it from
 * the address bar. A code is bound to this gateway's token by an HMAC that also covers when it was made
 * and the scopes it grants; it expires within minutes, the gateway remembers it was used until it
 * expires, and refuses any code made before it started (it forgot the used ones when it stopped).
 *
 * The HMAC key is derived from the token with scrypt, once per token (cached), so a link someone saw
 * does not let them test guesses of a weak user-set token at the speed of HMAC.
 */
import { createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { grantScopes, UI_SCOPE_LETTERS, type UiScope } from '@tether/protocol';

export const LOGIN_CODE_TTL_MS = 120_000;
/** A code claiming a later expiry than this was not minted by us (or the clocks are far apart). */
const MAX_TTL_MS = 10 * 60_000;

/**
 * What a Control UI login may grant (the letters: protocol/src/ui-login-grant.ts). The default link grants all: the
 * page is the owner's console, and approving a node that runs programs needs operator.admin (the
 * trust-boundary rule, nodes/approval-scopes.ts). `tether dashboard --scopes` grants less.
 */
export { UI_SCOPE_LETTERS, type UiScope };
export const UI_SCOPES: readonly UiScope[] = Object.values(UI_SCOPE_LETTERS);

const CODE_PATTERN = /^v2\.([0-9a-z]{1,12})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})\.([rwpax]{1,5})\.([A-Za-z0-9_-]{43})$/;

/** scrypt at N=2^14: tens of milliseconds once per token here, the same for every guess offline. */
const derived = new Map<string, Buffer>();
function macKey(token: string): Buffer {
  let key = derived.get(token);
  if (!key) {
    key = scryptSync(token, 'tether-ui-login-v2', 32, { N: 1 << 14, r: 8, p: 1 });
    derived.clear();
    derived.set(token, key);
  }
  return key;
}

function mac(token: string, issued: string, expires: string, nonce: string, grant: string): Buffer {
  return createHmac('sha256', macKey(token)).update(`tether-ui-login\nv2\n${issued}\n${expires}\n${nonce}\n${grant}`).digest();
}

/** The code's letters for `scopes`, in a fixed order; operator.read is always included. */
function grantLetters(scopes: readonly UiScope[]): string {
  return Object.entries(UI_SCOPE_LETTERS)
    .filter(([letter, scope]) => letter === 'r' || scopes.includes(scope))
    .map(([letter]) => letter)
    .join('');
}

export function mintLoginCode(token: string, options: { scopes?: readonly UiScope[]; nowMs?: number; ttlMs?: number } = {}): string {
  const now = options.nowMs ?? Date.now();
  const issued = now.toString(36);
  const expires = (now + (options.ttlMs ?? LOGIN_CODE_TTL_MS)).toString(36);
  const nonce = randomBytes(16).toString('base64url');
  const grant = grantLetters(options.scopes ?? UI_SCOPES);
  return `v2.${issued}.${expires}.${nonce}.${grant}.${mac(token, issued, expires, nonce, grant).toString('base64url')}`;
}

export type LoginCodeCheck =
  | { ok: true; nonce: string; expiresAtMs: number; scopes: UiScope[] }
  | { ok: false; reason: 'malformed' | 'expired' | 'invalid' | 'before-start' };

/** How far a code's making may lie before the gateway's start (the CLI's clock against the gateway's). */
const START_SKEW_MS = 2_000;

/**
 * Checks shape, lifetime and HMAC; single use is the caller's (it holds the used nonces, and passes
 * `notBeforeMs`, its start: codes made earlier may have been used before it started).
 */
export function checkLoginCode(token: string, code: unknown, nowMs = Date.now(), notBeforeMs = 0): LoginCodeCheck {
  if (typeof code !== 'string') return { ok: false, reason: 'malformed' };
  const match = CODE_PATTERN.exec(code);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, issued, expires, nonce, grant, signature] = match as unknown as [string, string, string, string, string, string];
  const issuedAtMs = parseInt(issued, 36);
  const expiresAtMs = parseInt(expires, 36);
  const expected = mac(token, issued, expires, nonce, grant);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  if (expiresAtMs <= nowMs || expiresAtMs > nowMs + MAX_TTL_MS || expiresAtMs - issuedAtMs > MAX_TTL_MS) return { ok: false, reason: 'expired' };
  if (issuedAtMs < notBeforeMs - START_SKEW_MS) return { ok: false, reason: 'before-start' };
  // Only the canonical spelling is minted; a reordered or repeated grant was not made by us.
  const scopes = grantScopes(grant);
  if (grantLetters(scopes) !== grant) return { ok: false, reason: 'invalid' };
  return { ok: true, nonce, expiresAtMs, scopes };
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

  /** Gives a claimed code back: the login it was for failed before pairing anything. */
  release(nonce: string): void {
    this.used.delete(nonce);
  }
}
