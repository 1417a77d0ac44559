/**
 * Captured media (snapshots, clips) become Blobs for <img>/<video>: a result's media reference is
 * fetched over HTTP from this page's own gateway (`GET /media/<id>`, with the page's credential; never a
 * node-chosen URL), and small inline base64 is decoded into bytes (no data: URL). Either way the type
 * shown is the one the first bytes prove (PNG, JPEG, MP4), never a label from the node or the server,
 * and it must be a type the command answers with.
 */

export type MediaKind = 'image/png' | 'image/jpeg' | 'video/mp4';

/** What the page will hold of one capture: above this a result is refused, not decoded. */
export const MEDIA_MAX_BYTES = 64 * 1024 * 1024;

/** The type the first bytes prove, or undefined (the same idea as gateway/src/media/sniff-image.ts). */
export function sniffMedia(head: Uint8Array): MediaKind | undefined {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (head.length >= 8 && png.every((byte, i) => head[i] === byte)) return 'image/png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  // ISO base media: a box of type "ftyp" first (size in bytes 0-3).
  if (head.length >= 12 && String.fromCharCode(head[4]!, head[5]!, head[6]!, head[7]!) === 'ftyp') return 'video/mp4';
  return undefined;
}

/** The types each media command answers with (its result schema's `format`). */
const EXPECTED: Record<string, readonly MediaKind[]> = {
  'camera.snap': ['image/jpeg'],
  'screen.snapshot': ['image/png', 'image/jpeg'],
  'camera.clip': ['video/mp4'],
  'screen.record': ['video/mp4'],
};

export class MediaError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface LoadedMedia {
  blob: Blob;
  kind: MediaKind;
  bytes: number;
  /** Where the bytes came from: inline in the result, or fetched from the gateway's media store. */
  via: 'inline' | 'gateway';
  /** Whether the result's sha256 was checked (needs WebCrypto, i.e. a secure context such as loopback). */
  verified: boolean;
}

interface MediaResult {
  base64?: unknown;
  mediaId?: unknown;
  url?: unknown;
  sha256?: unknown;
}

/** Decodes base64 in slices, so a large inline result never becomes one huge intermediate string. */
export function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const clean = text.replace(/[\r\n\s]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new MediaError('MEDIA_INVALID', 'the inline media is not valid base64');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  const size = Math.floor((clean.length * 3) / 4) - padding;
  if (size > MEDIA_MAX_BYTES) throw new MediaError('MEDIA_TOO_LARGE', `the inline media is ${size} bytes, over the page's ${MEDIA_MAX_BYTES}-byte limit`);
  const out = new Uint8Array(size);
  const SLICE = 4 * 16_384;
  let at = 0;
  for (let i = 0; i < clean.length; i += SLICE) {
    const binary = atob(clean.slice(i, i + SLICE));
    for (let j = 0; j < binary.length && at < size; j++) out[at++] = binary.charCodeAt(j);
  }
  return out;
}

const MEDIA_ID = /^[0-9a-f]{64}$/;

async function fetchFromGateway(mediaId: string, headers: Record<string, string>): Promise<Uint8Array<ArrayBuffer>> {
  let response: Response;
  try {
    // The page's own origin only; the credential is a header, never a cookie (credentials: 'omit').
    response = await fetch(`/media/${mediaId}`, { headers, credentials: 'omit', redirect: 'error' });
  } catch (failure) {
    throw new MediaError('MEDIA_DOWNLOAD_FAILED', `downloading media ${mediaId.slice(0, 12)} failed: ${failure instanceof Error ? failure.message : String(failure)}`);
  }
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.message === 'string') detail = `HTTP ${response.status} ${String(body.error.code)}: ${body.error.message}`;
    } catch {
      // not JSON: the status says enough
    }
    throw new MediaError('MEDIA_DOWNLOAD_FAILED', `downloading media ${mediaId.slice(0, 12)} failed: ${detail}`);
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MEDIA_MAX_BYTES) throw new MediaError('MEDIA_TOO_LARGE', `media ${mediaId.slice(0, 12)} is ${declared} bytes, over the page's ${MEDIA_MAX_BYTES}-byte limit`);
  return new Uint8Array(await response.arrayBuffer());
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The media of a `command` result as a Blob of a proven type. `authHeaders` authenticates the
 * download to this page's gateway. A result with only a `url` (a node-chosen address) is refused: the
 * page fetches media from its own gateway only.
 */
export async function loadMedia(command: string, result: MediaResult, authHeaders: Record<string, string>): Promise<LoadedMedia> {
  let bytes: Uint8Array<ArrayBuffer>;
  let via: LoadedMedia['via'];
  if (typeof result.base64 === 'string') {
    bytes = base64Bytes(result.base64);
    via = 'inline';
  } else if (typeof result.mediaId === 'string' && MEDIA_ID.test(result.mediaId)) {
    bytes = await fetchFromGateway(result.mediaId, authHeaders);
    via = 'gateway';
  } else {
    throw new MediaError('MEDIA_URL_UNSUPPORTED', `the node answered ${command} without media this page can load (no inline bytes and no gateway media id); the page never fetches an address a node chose`);
  }
  if (bytes.length > MEDIA_MAX_BYTES) throw new MediaError('MEDIA_TOO_LARGE', `the media is ${bytes.length} bytes, over the page's ${MEDIA_MAX_BYTES}-byte limit`);
  let verified = false;
  if (typeof result.sha256 === 'string') {
    const actual = await sha256Hex(bytes);
    if (actual !== undefined) {
      if (actual !== result.sha256) throw new MediaError('MEDIA_DAMAGED', `the ${command} media arrived damaged (sha256 ${actual.slice(0, 12)}…, expected ${result.sha256.slice(0, 12)}…); take it again`);
      verified = true;
    }
  }
  const kind = sniffMedia(bytes.subarray(0, 16));
  const expected = EXPECTED[command] ?? [];
  if (kind === undefined || !expected.includes(kind)) {
    throw new MediaError('MEDIA_TYPE_MISMATCH', `the ${command} media is not ${expected.join(' or ') || 'a type this page shows'} (its first bytes say ${kind ?? 'unknown'}); nothing is shown`);
  }
  return { blob: new Blob([bytes], { type: kind }), kind, bytes: bytes.length, via, verified };
}
