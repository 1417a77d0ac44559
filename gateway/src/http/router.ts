/**
 * The plain HTTP side of the gateway port, one router: liveness and readiness probes, the media
 * hand-off, the OpenAI-compatible agent endpoints and the Control UI. The edge never dies: the target is parsed
 * inside the guard, every handler's failure (thrown or rejected) becomes a JSON answer, and nothing a
 * client sends can reach an uncaught exception.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { safeText } from '@tether/protocol';
import { PairingStoreError } from '@tether/pairing';
import { normalizeOrigin } from '../config.js';
import type { GatewayContext } from '../context.js';
import { downloadMedia, uploadMedia } from './media-routes.js';
import { AGENT_MEDIA_PATH, downloadAgentMedia } from './agent-media-routes.js';
import { chatCompletions, listModels, openaiDeps } from './openai-routes.js';
import { handleMcpHttp } from '../mcp/mcp-http.js';
import { liveness, readiness } from './probes.js';
import { fail, HttpError, json } from './respond.js';
import { readRotations } from '../tls/rotate.js';
import { channelWebhook } from './channel-webhook.js';
import { allowedOriginsOf } from './self-origins.js';
import { exchangeLoginCode, serveUiAsset, serveUiPage } from './ui-routes.js';

/** Longest request target we read; anything longer is refused before parsing. */
const MAX_TARGET_LENGTH = 2048;

type Route = (gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, url: URL, match: RegExpExecArray) => unknown;

const ROUTES: { method: string; path: RegExp; handle: Route }[] = [
  { method: 'GET', path: /^\/healthz$/, handle: (g, _q, r) => liveness(g, r) },
  { method: 'GET', path: /^\/readyz$/, handle: (g, _q, r) => readiness(g, r) },
  { method: 'POST', path: /^\/media$/, handle: (g, q, r, url) => uploadMedia(g, q, r, url) },
  { method: 'GET', path: /^\/media\/([0-9a-f]{64})$/, handle: (g, q, r, _u, m) => downloadMedia(g, q, r, m[1]!) },
  { method: 'GET', path: AGENT_MEDIA_PATH, handle: (g, q, r, _u, m) => downloadAgentMedia(g, q, r, m[1]!) },
  { method: 'POST', path: /^\/v1\/chat\/completions$/, handle: (g, q, r) => chatCompletions(openaiDeps(g), q, r) },
  { method: 'GET', path: /^\/v1\/models$/, handle: (g, q, r) => listModels(openaiDeps(g), q, r) },
  // Public: each statement is signed by the certificate before it, which is what clients check.
  { method: 'GET', path: /^\/tls\/rotations$/, handle: (g, _q, r) => json(r, 200, { rotations: readRotations(g.config.stateDir) }) },
  // Public: the channel checks its platform's secret on every delivery.
  { method: 'POST', path: /^\/channels\/([a-z][a-z0-9-]{0,31})\/webhook$/, handle: (g, q, r, _u, m) => channelWebhook(g, q, r, m[1]!) },
  // The Control UI: its page, its built files by plain name (never a path), and the login-link exchange.
  { method: 'GET', path: /^\/$/, handle: (g, q, r, url) => serveUiPage(g, q, r, url) },
  { method: 'POST', path: /^\/ui\/login$/, handle: (g, q, r) => exchangeLoginCode(g, q, r) },
  { method: 'GET', path: /^\/ui\/([A-Za-z0-9_-]{1,100}\.[a-z]{2,4})$/, handle: (g, q, r, url, m) => serveUiAsset(g, q, r, url, m[1]!) },
  ...(['POST', 'GET', 'DELETE'] as const).map((method) => ({ method, path: /^\/mcp$/, handle: ((g, q, r) => handleMcpHttp(g.mcp, q, r)) as Route })),
];

export function handleHttp(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse): void {
  let outcome: unknown;
  try {
    outcome = route(gateway, request, response);
  } catch (error) {
    return answerFailure(gateway, request, response, error);
  }
  if (outcome instanceof Promise) outcome.catch((error: unknown) => answerFailure(gateway, request, response, error));
}

function route(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse): unknown {
  const url = parseTarget(request.url);
  const method = request.method ?? '';
  // A page the owner's browser shows is not the owner: a DNS-rebound page is same-origin to the
  // browser, so no preflight stops its JSON POST. Refused before any route, as the WebSocket refuses it.
  // The gateway's own origin (its Control UI) is allowed; so are the owner's allowedOrigins.
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedOriginsOf(gateway).includes(normalizeOrigin(origin))) {
    throw new HttpError(403, 'ORIGIN_NOT_ALLOWED', `requests from the web origin ${JSON.stringify(safeText(origin.slice(0, 200)))} are refused; list it in gateway.allowedOrigins to allow it`);
  }
  const allowed: string[] = [];
  for (const candidate of ROUTES) {
    const match = candidate.path.exec(url.pathname);
    if (!match) continue;
    if (candidate.method === method) return candidate.handle(gateway, request, response, url, match);
    allowed.push(candidate.method);
  }
  if (allowed.length > 0) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${safeText(method)} is not allowed on ${url.pathname}; use ${allowed.join(' or ')}`);
  throw new HttpError(
    404,
    'NOT_FOUND',
    `no such endpoint: ${safeText(method)} ${safeText(url.pathname)}; this port serves WebSocket clients, the Control UI at /, /healthz, /readyz, /media, /v1/chat/completions, /v1/models, /mcp, /tls/rotations and /channels/<name>/webhook`,
  );
}

/** Only origin-form targets ("/path?query"): absolute-form and authority-form are refused, never parsed as hosts. */
function parseTarget(target: string | undefined): URL {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//') || target.length > MAX_TARGET_LENGTH) {
    throw new HttpError(400, 'BAD_REQUEST', `the request target must be a path such as /healthz (at most ${MAX_TARGET_LENGTH} characters)`);
  }
  try {
    return new URL(target, 'http://gateway');
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'the request target is not a valid path');
  }
}

function answerFailure(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, error: unknown): void {
  request.resume();
  if (response.headersSent) {
    // Part of a body went out: the only honest answer left is to cut the connection.
    response.destroy();
    return;
  }
  if (error instanceof HttpError) return fail(response, error.status, error.code, error.message);
  gateway.log.error(`HTTP ${safeText(request.method ?? '?')} ${safeText((request.url ?? '').slice(0, 200))} failed: ${(error as Error)?.stack ?? String(error)}`);
  const storeDown = error instanceof PairingStoreError && (error.code === 'STORE_CORRUPT' || error.code === 'STORE_UNWRITABLE');
  if (storeDown) return fail(response, 503, 'UNAVAILABLE', 'the gateway cannot read its pairing state right now; see its log, then retry');
  fail(response, 500, 'INTERNAL', 'the gateway could not answer this request; see its log');
}
