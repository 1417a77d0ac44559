/**
 * OpenClaw's pairing setup code (`src/pairing/setup-code.ts` upstream), encoded and decoded exactly:
 * `base64url(JSON.stringify(payload))` without padding, optionally behind an `oc-pair://` prefix (any
 * case). The QR code carries the bare code; `openclaw node run --pair "oc-pair://<code>"` and
 * `tether node run --pair '<code>'` take either form.
 *
 * Payload now: `{url, urls?, bootstrapToken, expiresAtMs?, tlsFingerprint?}`. Older codes are still
 * read: `{url, token?|password?}` (a shared secret in the code), `{url, bootstrapToken}`, `+urls`.
 * Unknown keys are ignored. Everything a code says is checked here, before anything is sent anywhere:
 * the URLs (ws/wss only, no userinfo, query or fragment, cleartext only to private addresses), the
 * expiry, the fingerprint's shape and the size.
 */
import { isIP } from 'node:net';
import { normalizeFingerprint } from './client/tls-pin.js';

export const SETUP_CODE_PREFIX = 'oc-pair://';
/** The bare code's longest accepted form: 8 fallback URLs and a fingerprint fit in well under half. */
export const MAX_SETUP_CODE_CHARS = 8 * 1024;
export const MAX_SETUP_CODE_URLS = 8;
const MAX_URL_CHARS = 2048;
const MAX_SECRET_CHARS = 1024;
const CODE_CHARSET = /^[A-Za-z0-9_-]+$/;
/** Bootstrap tokens are base64url; older shared secrets were printable ASCII without spaces. */
const SECRET_CHARSET = /^[\x21-\x7e]+$/;

/** What a setup code carries, as written by `encodeSetupCode` (key order is part of the format). */
export interface SetupCodePayload {
  url: string;
  urls?: string[];
  bootstrapToken: string;
  expiresAtMs?: number;
  tlsFingerprint?: string;
}

/** A decoded code. `bootstrapToken` is absent only in the oldest codes, which carried `token` or `password`. */
export interface DecodedSetupCode {
  url: string;
  /** The fallbacks, in order, without `url` itself. */
  urls: string[];
  bootstrapToken?: string;
  /** Early-2026 codes: the gateway's shared secret itself (no single-use token). */
  token?: string;
  password?: string;
  expiresAtMs?: number;
  /** Normalised: 64 lowercase hex digits (SHA-256 of the certificate). */
  tlsFingerprint?: string;
  /** Which payload generation it was: `shared-secret` codes are treated as long-lived credentials. */
  shape: 'bootstrap' | 'shared-secret';
}

export type SetupCodeErrorCode =
  | 'SETUP_CODE_EMPTY'
  | 'SETUP_CODE_TOO_LARGE'
  | 'SETUP_CODE_BAD_CHARSET'
  | 'SETUP_CODE_BAD_JSON'
  | 'SETUP_CODE_BAD_URL'
  | 'SETUP_CODE_INSECURE_URL'
  | 'SETUP_CODE_NO_CREDENTIAL'
  | 'SETUP_CODE_BAD_EXPIRY'
  | 'SETUP_CODE_EXPIRED'
  | 'SETUP_CODE_BAD_FINGERPRINT';

export class SetupCodeError extends Error {
  readonly code: SetupCodeErrorCode;
  constructor(code: SetupCodeErrorCode, message: string) {
    super(message);
    this.name = 'SetupCodeError';
    this.code = code;
  }
}

const ASK_AGAIN = 'ask the gateway owner for a new one (tether devices setup-code)';

/** The bare code (what the QR code carries). Throws SetupCodeError on a payload that would not decode. */
export function encodeSetupCode(payload: SetupCodePayload): string {
  const out: Record<string, unknown> = { url: normalizeSetupCodeUrl(payload.url) };
  if (payload.urls !== undefined) out.urls = normalizeUrls(payload.urls);
  if (!isSecret(payload.bootstrapToken)) throw new SetupCodeError('SETUP_CODE_NO_CREDENTIAL', 'bootstrapToken must be a non-empty token');
  out.bootstrapToken = payload.bootstrapToken;
  if (payload.expiresAtMs !== undefined) out.expiresAtMs = expiry(payload.expiresAtMs);
  if (payload.tlsFingerprint !== undefined) out.tlsFingerprint = normalizeTlsFingerprint(payload.tlsFingerprint);
  const code = Buffer.from(JSON.stringify(out), 'utf8').toString('base64url');
  if (code.length > MAX_SETUP_CODE_CHARS) throw new SetupCodeError('SETUP_CODE_TOO_LARGE', `the setup code would be ${code.length} characters (at most ${MAX_SETUP_CODE_CHARS})`);
  return code;
}

/** `oc-pair://<code>`: the form OpenClaw's Control UI prints. */
export function setupCodeUri(code: string): string {
  return `${SETUP_CODE_PREFIX}${code}`;
}

export interface DecodeOptions {
  now?: number;
}

/**
 * Decodes a code (bare or `oc-pair://`, surrounding whitespace ignored; a JSON `{"setupCode": …}`
 * wrapper is accepted too, as OpenClaw's Android app does). Throws SetupCodeError with a stable code.
 */
export function decodeSetupCode(input: string, options: DecodeOptions = {}): DecodedSetupCode {
  if (typeof input !== 'string') throw new SetupCodeError('SETUP_CODE_EMPTY', 'the setup code must be text');
  // Checked before any other work: a huge argument or file is refused without being scanned.
  if (input.length > MAX_SETUP_CODE_CHARS + 64) {
    throw new SetupCodeError('SETUP_CODE_TOO_LARGE', `the setup code is ${input.length} characters; a real one is under ${MAX_SETUP_CODE_CHARS} — check that you pasted only the code`);
  }
  let text = input.trim();
  if (text.startsWith('{')) text = unwrapJson(text);
  if (text.slice(0, SETUP_CODE_PREFIX.length).toLowerCase() === SETUP_CODE_PREFIX) text = text.slice(SETUP_CODE_PREFIX.length);
  if (text === '') throw new SetupCodeError('SETUP_CODE_EMPTY', `the setup code is empty; ${ASK_AGAIN}`);
  if (text.length > MAX_SETUP_CODE_CHARS) {
    throw new SetupCodeError('SETUP_CODE_TOO_LARGE', `the setup code is ${text.length} characters; a real one is under ${MAX_SETUP_CODE_CHARS} — check that you pasted only the code`);
  }
  if (!CODE_CHARSET.test(text) || text.length % 4 === 1) {
    throw new SetupCodeError('SETUP_CODE_BAD_CHARSET', 'the setup code has characters a setup code never contains (only A-Z, a-z, 0-9, - and _); check that it was copied whole and unchanged');
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(text, 'base64url')));
  } catch {
    throw new SetupCodeError('SETUP_CODE_BAD_JSON', `the setup code does not decode to a setup payload (truncated or not a setup code); ${ASK_AGAIN}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SetupCodeError('SETUP_CODE_BAD_JSON', `the setup code's payload is not an object; ${ASK_AGAIN}`);
  }
  return decodePayload(value as Record<string, unknown>, options.now ?? Date.now());
}

function unwrapJson(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SetupCodeError('SETUP_CODE_BAD_JSON', 'the setup code looks like JSON but does not parse; paste the code itself (oc-pair://…)');
  }
  const code = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).setupCode : undefined;
  if (typeof code !== 'string') throw new SetupCodeError('SETUP_CODE_BAD_JSON', 'the JSON has no "setupCode" string; paste the code itself (oc-pair://…)');
  return code.trim();
}

function decodePayload(payload: Record<string, unknown>, now: number): DecodedSetupCode {
  const url = normalizeSetupCodeUrl(payload.url);
  const urls = payload.urls === undefined ? [] : normalizeUrls(payload.urls).filter((fallback) => fallback !== url);
  const decoded: DecodedSetupCode = { url, urls, shape: 'bootstrap' };
  const bootstrapToken = secretField(payload, 'bootstrapToken');
  if (bootstrapToken !== undefined) decoded.bootstrapToken = bootstrapToken;
  else {
    // The oldest codes carried the gateway's shared token or password itself.
    const token = secretField(payload, 'token');
    const password = secretField(payload, 'password');
    if (token === undefined && password === undefined) {
      throw new SetupCodeError('SETUP_CODE_NO_CREDENTIAL', `the setup code carries no bootstrap token; ${ASK_AGAIN}`);
    }
    if (token !== undefined) decoded.token = token;
    if (password !== undefined) decoded.password = password;
    decoded.shape = 'shared-secret';
  }
  if (payload.expiresAtMs !== undefined && payload.expiresAtMs !== null) {
    decoded.expiresAtMs = expiry(payload.expiresAtMs);
    if (decoded.expiresAtMs <= now) {
      throw new SetupCodeError('SETUP_CODE_EXPIRED', `Pairing setup code has expired. It was valid until ${new Date(decoded.expiresAtMs).toISOString()}; ${ASK_AGAIN}.`);
    }
  }
  if (payload.tlsFingerprint !== undefined && payload.tlsFingerprint !== null) decoded.tlsFingerprint = normalizeTlsFingerprint(payload.tlsFingerprint);
  return decoded;
}

function secretField(payload: Record<string, unknown>, key: 'bootstrapToken' | 'token' | 'password'): string | undefined {
  const value = payload[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (!isSecret(value)) throw new SetupCodeError('SETUP_CODE_NO_CREDENTIAL', `the setup code's ${key} is not a valid token; ${ASK_AGAIN}`);
  return value;
}

function isSecret(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SECRET_CHARS && SECRET_CHARSET.test(value);
}

function expiry(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new SetupCodeError('SETUP_CODE_BAD_EXPIRY', `the setup code's expiresAtMs is not a time (a non-negative integer of milliseconds); ${ASK_AGAIN}`);
}

function normalizeUrls(value: unknown): string[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_SETUP_CODE_URLS) {
    throw new SetupCodeError('SETUP_CODE_BAD_URL', `the setup code's urls must list 1 to ${MAX_SETUP_CODE_URLS} gateway URLs`);
  }
  return [...new Set(value.map((url) => normalizeSetupCodeUrl(url)))];
}

/**
 * `ws[s]://host[:port][/contextPath]`: no userinfo, query or fragment; `ws://` only to a host on the
 * local network (loopback, RFC 1918, link-local, ULA, `*.local`), as OpenClaw's cleartext policy.
 * Returns the normalised URL (lowercase scheme and host, default port dropped, no trailing slash).
 */
export function normalizeSetupCodeUrl(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new SetupCodeError('SETUP_CODE_BAD_URL', `the setup code has no gateway URL; ${ASK_AGAIN}`);
  if (value.length > MAX_URL_CHARS) throw new SetupCodeError('SETUP_CODE_BAD_URL', `the setup code's gateway URL is longer than ${MAX_URL_CHARS} characters`);
  const shown = JSON.stringify(value.slice(0, 80));
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new SetupCodeError('SETUP_CODE_BAD_URL', `the setup code's gateway URL ${shown} is not a URL`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SetupCodeError('SETUP_CODE_BAD_URL', `the setup code's gateway URL must start with ws:// or wss://, not ${url.protocol}//`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new SetupCodeError('SETUP_CODE_BAD_URL', 'the setup code\'s gateway URL contains a user name or password; a setup code never does — do not use this code');
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(value)) {
    throw new SetupCodeError('SETUP_CODE_BAD_URL', `the setup code's gateway URL ${shown} has a query or fragment; a gateway URL is ws[s]://host[:port][/path]`);
  }
  if (url.hostname === '') throw new SetupCodeError('SETUP_CODE_BAD_URL', `the setup code's gateway URL ${shown} has no host`);
  if (url.protocol === 'ws:' && !isCleartextAllowedHost(url.hostname)) {
    throw new SetupCodeError(
      'SETUP_CODE_INSECURE_URL',
      `the setup code points at ${url.host} over plain ws://, which is allowed only on the local network (loopback, private or link-local addresses, *.local); use a wss:// URL for this gateway`,
    );
  }
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  // WHATWG drops a default port (wss://h:443 → wss://h); OpenClaw keeps the port it was given.
  const authority = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0] ?? '';
  const givenPort = /:(\d{1,5})$/.exec(authority)?.[1];
  const port = url.port !== '' ? url.port : givenPort !== undefined ? String(Number(givenPort)) : '';
  return `${url.protocol}//${url.hostname}${port === '' ? '' : `:${port}`}${path}`;
}

/** Hosts a cleartext `ws://` URL may name (OpenClaw's list; 10.0.2.2, Android's emulator host, is in 10/8). */
export function isCleartextAllowedHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local')) return true;
  const family = isIP(host);
  if (family === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (family === 6) {
    if (host === '::1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (mapped) return isCleartextAllowedHost(mapped[1]!);
    return /^f[cd][0-9a-f]{2}:/.test(host) || /^fe[89ab][0-9a-f]:/.test(host);
  }
  return false;
}

/** SHA-256 fingerprint → 64 lowercase hex digits. Accepts `AB:CD:…`, spaces and a `sha256:` prefix. */
export function normalizeTlsFingerprint(value: unknown): string {
  const text = typeof value === 'string' && value.length <= 256 ? normalizeFingerprint(value) : undefined;
  if (!text) {
    throw new SetupCodeError('SETUP_CODE_BAD_FINGERPRINT', `the setup code's TLS fingerprint is not a SHA-256 fingerprint (64 hex digits); ${ASK_AGAIN}, and do not connect with this one`);
  }
  return text;
}
