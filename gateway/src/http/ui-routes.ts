/**
 * The Control UI on the gateway's port: `GET /` is the page, `GET /ui/<file>` its built assets, and
 * `POST /ui/login` pairs the page's browser identity, on a one-time login code or the shared token.
 * Files are served from a table read once from the build's output folder, by exact name: a request
 * can only ever name a file the build wrote, so no path a client sends reaches the file system.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayContext } from '../context.js';
import { normalizeRemoteIp } from '../address.js';
import { isSharedToken } from '../secrets.js';
import { checkLoginCode, UI_SCOPES, UsedLoginCodes } from '../ui-login-code.js';
import { bearer, HttpError, json } from './respond.js';
import { checkUiKey, pairUiDevice } from './ui-device-login.js';
import { AddressFailures } from './address-failures.js';
import { selfWebSocketOrigins } from './self-origins.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8',
};
const MAX_LOGIN_BODY_BYTES = 1024;

interface UiAsset {
  body: Buffer;
  type: string;
}

interface UiState {
  assets: Map<string, UiAsset> | undefined;
  usedCodes: UsedLoginCodes;
  /** Wrong gateway tokens per address: the Bearer login is not a token oracle. */
  tokenGuesses: AddressFailures;
  /** Refused logins are logged at most once a minute, so a stranger cannot flood the log. */
  lastRefusalLogMs: number;
  refusalsSinceLog: number;
}

const REFUSAL_LOG_INTERVAL_MS = 60_000;

const states = new WeakMap<GatewayContext, UiState>();

/** Where the build put the page: beside the gateway's dist/ or src/, or beside the CLI's bundle. */
function uiDistDir(): string | undefined {
  const candidates = ['../../ui/dist/', '../../gateway/ui/dist/'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

function loadAssets(dir: string | undefined): Map<string, UiAsset> | undefined {
  if (!dir) return undefined;
  const assets = new Map<string, UiAsset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    const path = join(dir, name);
    if (type && statSync(path).isFile()) assets.set(name, { body: readFileSync(path), type });
  }
  return assets;
}

function stateOf(gateway: GatewayContext): UiState {
  let state = states.get(gateway);
  if (!state) {
    state = { assets: loadAssets(uiDistDir()), usedCodes: new UsedLoginCodes(), tokenGuesses: new AddressFailures(10, 60_000), lastRefusalLogMs: 0, refusalsSinceLog: 0 };
    states.set(gateway, state);
  }
  return state;
}

/** The page's policy: its own scripts, styles and socket, nothing inline, never framed. */
export function contentSecurityPolicy(gateway: GatewayContext): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    // The clip player plays blob: URLs made from bytes downloaded from /media; nothing else.
    "media-src blob:",
    `connect-src 'self' ${selfWebSocketOrigins(gateway).join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(gateway: GatewayContext): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(gateway),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

function send(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, asset: UiAsset, cacheControl: string): void {
  response.writeHead(200, { ...securityHeaders(gateway), 'content-type': asset.type, 'content-length': String(asset.body.length), 'cache-control': cacheControl });
  response.end(request.method === 'HEAD' ? undefined : asset.body);
}

function assetsOrFail(gateway: GatewayContext): Map<string, UiAsset> {
  const assets = stateOf(gateway).assets;
  if (!assets) throw new HttpError(503, 'UI_NOT_BUILT', 'the Control UI was not built; run npm run build, then restart the gateway');
  return assets;
}

/**
 * The page and its files answer only to their exact, plain path: a target that reached them through
 * dot segments (`/media/%2e%2e`, which URL parsing folds into `/`) gets the same 404 as any other.
 */
function assertPlainTarget(request: IncomingMessage, url: URL): void {
  const raw = (request.url ?? '').split(/[?#]/)[0];
  if (raw !== url.pathname) throw new HttpError(404, 'NOT_FOUND', 'no such file; the Control UI is at /');
}

export function serveUiPage(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, url: URL): void {
  assertPlainTarget(request, url);
  const page = assetsOrFail(gateway).get('index.html');
  if (!page) throw new HttpError(503, 'UI_NOT_BUILT', 'the Control UI was not built; run npm run build, then restart the gateway');
  send(gateway, request, response, page, 'no-store');
}

/** `name` matched `[A-Za-z0-9_-]+\.[a-z]+` in the router: a plain file name, never a path. */
export function serveUiAsset(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, url: URL, name: string): void {
  assertPlainTarget(request, url);
  const asset = name === 'index.html' ? undefined : assetsOrFail(gateway).get(name);
  if (!asset) throw new HttpError(404, 'NOT_FOUND', `the Control UI has no file named ${JSON.stringify(name)}; reload the page at /`);
  // Asset names carry their content hash (the build names them so): a new build is a new name.
  send(gateway, request, response, asset, 'public, max-age=31536000, immutable');
}

async function readSmallBody(request: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > limit) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the login body may be at most ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the login body may be at most ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A refused login is counted, and logged at most once a minute, so a stranger cannot flood the log. */
function refuseLogin(gateway: GatewayContext, why: string, code = 'LOGIN_CODE_INVALID'): never {
  const state = stateOf(gateway);
  state.refusalsSinceLog++;
  if (Date.now() - state.lastRefusalLogMs >= REFUSAL_LOG_INTERVAL_MS) {
    gateway.log.warn(`refused ${state.refusalsSinceLog} Control UI login(s) since the last report; the latest ${why}`);
    state.lastRefusalLogMs = Date.now();
    state.refusalsSinceLog = 0;
  }
  throw new HttpError(401, code, `this login ${why}; run tether dashboard for a new link`);
}

const CODE_REFUSALS = { malformed: 'link is not valid', invalid: 'link is not valid', expired: 'link has expired', 'before-start': 'link was made before the gateway restarted' } as const;

type Grant = { credential: string; scopes: readonly string[]; release(): void };

/**
 * The owner's credential on this request and what it grants: a fresh unused code's scopes, or all of
 * them for the shared token in a Bearer header. `release` gives a spent code back when the login fails.
 */
function ownerGrant(gateway: GatewayContext, token: string, request: IncomingMessage, code: unknown): Grant {
  const presented = bearer(request);
  if (presented !== undefined) {
    const state = stateOf(gateway);
    const address = normalizeRemoteIp(request.socket.remoteAddress);
    if (!state.tokenGuesses.allow(address)) {
      throw new HttpError(429, 'TOO_MANY_ATTEMPTS', 'too many wrong gateway tokens from this address; wait a minute, or use a link from tether dashboard');
    }
    if (!isSharedToken(gateway, presented)) {
      state.tokenGuesses.fail(address);
      refuseLogin(gateway, "token is not this gateway's", 'LOGIN_TOKEN_INVALID');
    }
    return { credential: presented, scopes: UI_SCOPES, release: () => undefined };
  }
  const checked = checkLoginCode(token, code, Date.now(), gateway.startedAtMs);
  if (!checked.ok) refuseLogin(gateway, CODE_REFUSALS[checked.reason]);
  const used = stateOf(gateway).usedCodes;
  if (!used.claim(checked.nonce, checked.expiresAtMs)) refuseLogin(gateway, 'link was used already');
  return { credential: code as string, scopes: checked.scopes, release: () => used.release(checked.nonce) };
}

/**
 * `POST /ui/login {code, publicKey, signature}` (or `{publicKey, signature}` with `Authorization: Bearer
 * <gateway token>`) → `{auth: 'device', deviceId, deviceToken, scopes}`: the browser's key paired as an
 * operator. The signature, made with that key over the credential (buildUiLoginPayload), is checked before
 * the code is spent; a login that fails after that gives the code back.
 */
export async function exchangeLoginCode(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the login as application/json: {"code": "...", "publicKey": "...", "signature": "..."}');
  const text = await readSmallBody(request, MAX_LOGIN_BODY_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'the login body is not JSON; send {"code": "...", "publicKey": "...", "signature": "..."}');
  }
  const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { code?: unknown; publicKey?: unknown; signature?: unknown }) : {};
  const token = gateway.sharedToken;
  if (token === undefined) {
    // gateway.auth.mode none: every local client is the owner, so the page needs no credential.
    return json(response, 200, { auth: 'none', scopes: UI_SCOPES });
  }
  const presented = bearer(request) ?? (typeof fields.code === 'string' ? fields.code : '');
  const publicKey = checkUiKey(fields.publicKey, fields.signature, presented);
  const grant = ownerGrant(gateway, token, request, fields.code);
  try {
    const login = await pairUiDevice(gateway, publicKey, grant.scopes, normalizeRemoteIp(request.socket.remoteAddress));
    json(response, 200, { auth: 'device', ...login });
  } catch (error) {
    grant.release();
    throw error;
  }
}
