/**
 * The media hand-off: a node uploads a large capture for an invoke it is running (with its device
 * token); operators fetch it by id with the shared token or, as a paired operator device holding
 * operator.read (the Control UI), with that device's own token. Uploads are bounded per item, per device, in
 * total and in concurrency (see MediaStore), and accepted only for an invoke in flight on that node.
 */
import { promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { GatewayContext } from '../context.js';
import { MEDIA_FORMATS, MediaQuotaError, type MediaFormat } from '../media/media-store.js';
import { bearer, failAndDrain, fail, HttpError, json } from './respond.js';
import { checkOperatorCredential } from './operator-credential.js';

const CONTENT_TYPES: Record<MediaFormat, string> = { jpg: 'image/jpeg', png: 'image/png', mp4: 'video/mp4' };
const DEVICE_ID = /^[0-9a-f]{64}$/;

export async function uploadMedia(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  const deviceId = request.headers['x-tether-device-id'];
  const token = bearer(request);
  if (typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId) || !token || !gateway.store.verifyToken(deviceId, 'node', token)) {
    return failAndDrain(request, response, 401, 'UNAUTHORIZED', 'media uploads need a paired node: send its device token as a Bearer token and its id in X-Tether-Device-Id');
  }
  const format = url.searchParams.get('format');
  if (!format || !(MEDIA_FORMATS as readonly string[]).includes(format)) {
    return failAndDrain(request, response, 400, 'INVALID_REQUEST', `?format= must be one of ${MEDIA_FORMATS.join(', ')}`);
  }
  const invokeId = url.searchParams.get('invokeId') ?? '';
  if (!gateway.registry.claimUpload(deviceId, invokeId, format)) {
    return failAndDrain(
      request,
      response,
      409,
      'NO_INVOKE_IN_FLIGHT',
      'media is accepted only for a media command (camera.snap/clip, screen.snapshot/record) this node is running, in a format that command answers with: ' +
        'send ?invokeId=<the invoke id> while the invoke is in flight (one upload per invoke)',
    );
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (!Number.isFinite(declared) || declared > gateway.media.maxItemBytes) {
    return failAndDrain(request, response, 413, 'MEDIA_TOO_LARGE', `upload of ${declared} bytes exceeds the ${gateway.media.maxItemBytes}-byte media limit`);
  }
  try {
    const item = await gateway.media.put(request, format as MediaFormat, deviceId);
    json(response, 201, { mediaId: item.mediaId, url: `/media/${item.mediaId}`, bytes: item.bytes, sha256: item.sha256, format, expiresAtMs: item.expiresAtMs });
  } catch (error) {
    if (error instanceof MediaQuotaError) return failAndDrain(request, response, error.status, error.code, error.message);
    gateway.log.warn(`media upload from ${deviceId.slice(0, 12)} failed: ${(error as Error).message}`);
    throw new HttpError(500, 'UPLOAD_FAILED', 'the upload did not complete; retry it');
  }
}

const DOWNLOAD_UNAUTHORIZED =
  "fetching media needs the gateway's token as a Bearer token, or a paired operator device's token as a Bearer token with its id in X-Tether-Device-Id";

/**
 * Who may download: the owner (shared token), or a paired device whose current, unrevoked OPERATOR
 * token this is, under its own id, granted operator.read (or operator.admin). A node's token, a revoked
 * one, another device's, or a malformed id is a 401; a paired operator without the scope a 403. Both
 * are decided before the store is looked at, so a refusal says nothing about which media exist.
 */
function downloadRefusal(gateway: GatewayContext, request: IncomingMessage): { status: 401 | 403; code: string; message: string } | undefined {
  const checked = checkOperatorCredential(gateway, request, ['operator.read', 'operator.admin']);
  if (checked.ok) return undefined;
  if (checked.reason === 'unauthenticated') return { status: 401, code: 'UNAUTHORIZED', message: DOWNLOAD_UNAUTHORIZED };
  return {
    status: 403,
    code: 'MISSING_SCOPE',
    message: `device ${checked.deviceId.slice(0, 12)} is not granted operator.read, which fetching media needs; approve it with operator.read (\`tether devices list\`) or use the gateway's token`,
  };
}

export async function downloadMedia(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, mediaId: string): Promise<void> {
  const refusal = downloadRefusal(gateway, request);
  if (refusal) return fail(response, refusal.status, refusal.code, refusal.message);
  const item = gateway.media.get(mediaId);
  const gone = () =>
    fail(response, 404, 'MEDIA_NOT_FOUND', `media ${mediaId} does not exist or has expired (media lives ${Math.round(gateway.media.ttlMs / 60_000)} min); capture it again`);
  if (!item) return gone();
  // Open first: a file swept (or deleted by hand) since it was listed is a 404, not a crashed stream.
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(item.path, 'r');
  } catch {
    return gone();
  }
  response.writeHead(200, { 'content-type': CONTENT_TYPES[item.format], 'content-length': item.bytes, 'x-content-sha256': item.sha256, 'cache-control': 'no-store' });
  try {
    await pipeline(handle.createReadStream(), response);
  } catch (error) {
    // The client went away or the disk failed mid-stream; the headers are out, so the socket is cut.
    gateway.log.debug(`media ${mediaId.slice(0, 12)} download ended early: ${(error as Error).message}`);
    response.destroy();
  }
}
