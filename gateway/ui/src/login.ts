/**
 * The page's credential. `tether dashboard` opens `/#code=…`: the code is read, removed from the
 * address bar (and so from history) before anything else, and traded once at `POST /ui/login`.
 * The credential lives in this tab's sessionStorage only, so a reload keeps the login and closing the
 * tab ends it; nothing is ever put back into a URL.
 */
const STORAGE_KEY = 'tether.ui.credential';
const CODE_PATTERN = /^v1\.[0-9a-z]{1,12}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;

export type Credential = { token: string | null };

/** The code in the fragment, if any; the fragment is cleared either way. */
export function takeLoginCode(): string | undefined {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const code = fragment.get('code');
  if (location.hash !== '') history.replaceState(null, '', location.pathname + location.search);
  return code !== null && CODE_PATTERN.test(code) ? code : undefined;
}

export function storedCredential(): Credential | undefined {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (raw === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && 'token' in parsed) {
      const token = (parsed as { token: unknown }).token;
      if (token === null || typeof token === 'string') return { token };
    }
  } catch {
    // A damaged entry is the same as none.
  }
  sessionStorage.removeItem(STORAGE_KEY);
  return undefined;
}

export function forgetCredential(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

export async function exchangeLoginCode(code: string): Promise<Credential> {
  const response = await fetch('/ui/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
    credentials: 'omit',
    cache: 'no-store',
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
    throw new Error(typeof message === 'string' ? message : `login failed (HTTP ${response.status}); run tether dashboard for a new link`);
  }
  const token = (body as { token?: unknown } | undefined)?.token;
  if (token !== null && typeof token !== 'string') throw new Error('the gateway answered the login without a credential');
  const credential = { token };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credential));
  return credential;
}
