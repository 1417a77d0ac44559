/**
 * The plain HTTP side of the gateway port: liveness and readiness probes, and the media hand-off
 * (nodes upload large captures with their device token; operators fetch them with the shared token).
 */
import { timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayContext } from './context.js';
import { MEDIA_FORMATS, MediaTooLargeError, type MediaFormat } from './media/media-store.js';

const CONTENT_TYPES: Record<MediaFormat, string> = { jpg: 'image/jpeg', png: 'image/png', mp4: 'video/mp4' };

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function fail(response: ServerResponse, status: number, code: string, message: string): void {
  json(response, status, { error: { code, message } });
}

function bearer(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function handleHttp(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://gateway');
  const path = url.pathname;
  if (request.method === 'GET' && path === '/healthz') return json(response, 200, { ok: true, status: 'live' });
  if (request.method === 'GET' && path === '/readyz') {
    return json(response, 200, { ready: true, failing: [], uptimeMs: Date.now() - gateway.startedAtMs });
  }
  if (request.method === 'POST' && path === '/media') return void uploadMedia(gateway, request, response, url);
  const download = /^\/media\/([0-9a-f]{64})$/.exec(path);
  if (request.method === 'GET' && download) return downloadMedia(gateway, request, response, download[1]!);
  fail(response, 404, 'NOT_FOUND', `no such endpoint: ${request.method} ${path}; this port serves WebSocket clients, /healthz, /readyz and /media`);
}

async function uploadMedia(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  const deviceId = String(request.headers['x-tether-device-id'] ?? '');
  const token = bearer(request);
  if (!deviceId || !token || !gateway.store.verifyToken(deviceId, 'node', token)) {
    request.resume();
    return fail(response, 401, 'UNAUTHORIZED', 'media uploads need a paired node: send its device token as a Bearer token and its id in X-Tether-Device-Id');
  }
  const format = url.searchParams.get('format') as MediaFormat | null;
  if (!format || !MEDIA_FORMATS.includes(format)) {
    request.resume();
    return fail(response, 400, 'INVALID_REQUEST', `?format= must be one of ${MEDIA_FORMATS.join(', ')}`);
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > gateway.media.maxItemBytes) {
    request.resume();
    return fail(response, 413, 'MEDIA_TOO_LARGE', `upload of ${declared} bytes exceeds the ${gateway.media.maxItemBytes}-byte media limit`);
  }
  try {
    const item = await gateway.media.put(request, format, deviceId);
    json(response, 201, { mediaId: item.mediaId, url: `/media/${item.mediaId}`, bytes: item.bytes, sha256: item.sha256, format, expiresAtMs: item.expiresAtMs });
  } catch (error) {
    if (error instanceof MediaTooLargeError) return fail(response, 413, error.code, error.message);
    gateway.log.warn(`media upload from ${deviceId.slice(0, 12)} failed: ${(error as Error).message}`);
    if (!response.headersSent) fail(response, 500, 'UPLOAD_FAILED', 'the upload did not complete; retry it');
  }
}

function downloadMedia(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, mediaId: string): void {
  const token = bearer(request);
  const authorised = gateway.config.authMode === 'none' || (gateway.sharedToken !== undefined && token !== undefined && safeEqual(token, gateway.sharedToken));
  if (!authorised) return fail(response, 401, 'UNAUTHORIZED', "send the gateway's token as a Bearer token to fetch media");
  const item = gateway.media.get(mediaId);
  if (!item) return fail(response, 404, 'MEDIA_NOT_FOUND', `media ${mediaId} does not exist or has expired (media lives ${Math.round(gateway.media.ttlMs / 60_000)} min); capture it again`);
  response.writeHead(200, { 'content-type': CONTENT_TYPES[item.format], 'content-length': item.bytes, 'x-content-sha256': item.sha256 });
  createReadStream(item.path).pipe(response);
}
