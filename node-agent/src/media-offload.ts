/**
 * Large media leaves the WebSocket: a result whose base64 is over the inline limit is uploaded to the
 * gateway's media store and replaced by `{mediaId, url, bytes, sha256}`. Small results stay inline, so
 * OpenClaw clients keep working for snapshots.
 */
import { createHash } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { isRecord, pinnedTlsOptions, type TlsPin } from '@tether/protocol';

export interface MediaReference {
  mediaId: string;
  url: string;
  bytes: number;
  sha256: string;
}

export interface OffloadTarget {
  /** The gateway's HTTP origin, e.g. http://127.0.0.1:18789. */
  origin: string;
  deviceId: string;
  deviceToken: string;
  /** The invoke this media answers: the gateway accepts uploads only for an invoke in flight. */
  invokeId: string;
  /** For an https origin: the pinned certificate, the only one the upload is sent to. */
  tlsPin?: TlsPin;
}

export function httpOriginOf(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  return url.origin;
}

export async function uploadMedia(target: OffloadTarget, bytes: Buffer, format: string, signal?: AbortSignal): Promise<MediaReference> {
  const url = `${target.origin}/media?format=${encodeURIComponent(format)}&invokeId=${encodeURIComponent(target.invokeId)}`;
  const headers = { authorization: `Bearer ${target.deviceToken}`, 'x-tether-device-id': target.deviceId, 'content-type': 'application/octet-stream' };
  // fetch cannot take a trust anchor without undici's Agent, so a pinned upload uses node:https.
  const response = target.tlsPin && url.startsWith('https:') ? await pinnedPost(url, headers, bytes, target.tlsPin, signal) : await fetch(url, { method: 'POST', headers, body: bytes, signal });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status !== 201) {
    const error = isRecord(body.error) ? String(body.error.message) : `HTTP ${response.status}`;
    throw new Error(`uploading ${bytes.length} bytes of ${format} to the gateway failed: ${error}`);
  }
  // The id is the content hash: check the gateway stored exactly what was captured.
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (body.sha256 !== sha256) throw new Error(`the gateway stored different bytes than were uploaded (sha256 ${String(body.sha256)}, expected ${sha256})`);
  return { mediaId: String(body.mediaId), url: String(body.url), bytes: Number(body.bytes), sha256: String(body.sha256) };
}

/** Returns the payload unchanged, or with its base64 replaced by a media reference. */
export async function offloadLargeMedia(
  payload: unknown,
  inlineMaxBytes: number,
  target: OffloadTarget | undefined,
  signal?: AbortSignal,
): Promise<unknown> {
  if (!target || !isRecord(payload) || typeof payload.base64 !== 'string' || typeof payload.format !== 'string') return payload;
  // base64 is 4/3 of the bytes: compare without decoding when it is clearly small.
  if ((payload.base64.length * 3) / 4 <= inlineMaxBytes) return payload;
  const bytes = Buffer.from(payload.base64, 'base64');
  const reference = await uploadMedia(target, bytes, payload.format, signal);
  const { base64: _inline, ...rest } = payload;
  return { ...rest, ...reference };
}

function pinnedPost(url: string, headers: Record<string, string>, body: Buffer, pin: TlsPin, signal?: AbortSignal): Promise<{ status: number; json(): Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, signal, ...pinnedTlsOptions(pin) }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, json: async () => JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}
