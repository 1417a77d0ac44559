/**
 * The page's login. `tether dashboard` opens `/#code=…`: the code is read and removed from the
 * address bar (and so from history) before anything else, then traded once at `POST /ui/login`
 * together with this browser's public key (device-identity.ts); the gateway pairs that key as an
 * operator device and answers with its device token and scopes. The page can also sign in once with
 * the gateway token typed into it; the token is sent once and never stored. The login (device id,
 * device token, scopes) is kept in localStorage. On the WebSocket it is useless without the key's
 * signature (a WebCrypto key cannot leave IndexedDB), but over HTTP (`/media`, `/agent-media`) the
 * device id and token alone fetch captures whose ids are known: treat the stored login as a secret.
 * Nothing is ever put back into a URL.
 */
import { buildUiLoginPayload } from '../../../protocol/src/device-auth-payload.js';
import { grantScopes } from '../../../protocol/src/ui-login-grant.js';
import { browserIdentity } from './device-identity.js';

const STORAGE_KEY = 'tether.ui.login';
const CODE_PATTERN = /^v2\.[0-9a-z]{1,12}\.[0-9a-z]{1,12}\.[A-Za-z0-9_-]{22}\.[rwpax]{1,5}\.[A-Za-z0-9_-]{43}$/;
const DEVICE_ID = /^[0-9a-f]{64}$/;

export type Credential = { auth: 'device'; deviceId: string; deviceToken: string; scopes: string[] } | { auth: 'none'; scopes: string[] };

/** The code in the fragment, if any; the fragment is cleared either way. */
export function takeLoginCode(): string | undefined {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const code = fragment.get('code');
  if (location.hash !== '') history.replaceState(null, '', location.pathname + location.search);
  return code !== null && CODE_PATTERN.test(code) ? code : undefined;
}

/** The scopes a code says it grants (its grant letters; the gateway checks them under the MAC). */
export function codeScopes(code: string): string[] {
  return grantScopes(code.split('.')[4] ?? '');
}

function isScopes(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((scope) => typeof scope === 'string');
}

function asCredential(value: unknown): Credential | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = value as Partial<Record<string, unknown>>;
  if (!isScopes(entry.scopes)) return undefined;
  if (entry.auth === 'none') return { auth: 'none', scopes: entry.scopes };
  if (entry.auth === 'device' && typeof entry.deviceId === 'string' && DEVICE_ID.test(entry.deviceId) && typeof entry.deviceToken === 'string' && entry.deviceToken !== '') {
    return { auth: 'device', deviceId: entry.deviceId, deviceToken: entry.deviceToken, scopes: entry.scopes };
  }
  return undefined;
}

export function storedCredential(): Credential | undefined {
  const raw = localStorage.getItem(STORAGE_KEY);
  if (raw === null) return undefined;
  try {
    const credential = asCredential(JSON.parse(raw));
    if (credential) return credential;
  } catch {
    // A damaged entry is the same as none.
  }
  localStorage.removeItem(STORAGE_KEY);
  return undefined;
}

export function forgetCredential(): void {
  localStorage.removeItem(STORAGE_KEY);
}

/** `presented` is the code, or the token sent in the header: the page signs it with its key (proof it holds the key it pairs). */
async function logIn(presented: string, body: Record<string, string>, headers: Record<string, string>): Promise<Credential> {
  const identity = await browserIdentity();
  const signature = await identity.sign(buildUiLoginPayload(identity.publicKey, presented));
  const response = await fetch('/ui/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...body, publicKey: identity.publicKey, signature }),
    credentials: 'omit',
    cache: 'no-store',
  });
  const answer: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = (answer as { error?: { message?: unknown } } | undefined)?.error?.message;
    throw new Error(typeof message === 'string' ? message : `login failed (HTTP ${response.status}); run tether dashboard for a new link`);
  }
  const credential = asCredential(answer);
  if (!credential) throw new Error('the gateway answered the login without a usable credential; run tether dashboard for a new link');
  localStorage.setItem(STORAGE_KEY, JSON.stringify(credential));
  return credential;
}

export function exchangeLoginCode(code: string): Promise<Credential> {
  return logIn(code, { code }, {});
}

/** Signs in once with the gateway token: it goes in this one request's header and is not kept. */
export function logInWithToken(token: string): Promise<Credential> {
  return logIn(token.trim(), {}, { authorization: `Bearer ${token.trim()}` });
}
