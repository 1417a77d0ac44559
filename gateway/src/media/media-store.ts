/**
 * Media too large to travel inline (clips, recordings): nodes upload it over HTTP, operators fetch
 * it by id. Content-addressed (the id is the SHA-256), expired after a TTL, and bounded so a node can
 * never fill the disk the pairing state lives on: per item, per device, in total, and in concurrent
 * uploads. Limits are checked while streaming, so a lying Content-Length changes nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { ensurePrivateDir } from '@tether/pairing';

export const MEDIA_FORMATS = ['jpg', 'png', 'mp4'] as const;
export type MediaFormat = (typeof MEDIA_FORMATS)[number];

export interface MediaItem {
  mediaId: string;
  format: MediaFormat;
  bytes: number;
  sha256: string;
  deviceId: string;
  createdAtMs: number;
  expiresAtMs: number;
}

export interface MediaLimits {
  /** Largest single upload. Default 200 MiB: a 60 s clip at a high bitrate. */
  maxItemBytes: number;
  /** Everything stored plus everything being uploaded, from one device. Default 400 MiB. */
  maxDeviceBytes: number;
  /** Everything stored plus everything being uploaded. Default 1 GiB. */
  maxTotalBytes: number;
  /** Uploads streaming at once, from one device. Default 2. */
  maxDeviceUploads: number;
  /** Uploads streaming at once. Default 8. */
  maxTotalUploads: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  maxItemBytes: 200 * 1024 * 1024,
  maxDeviceBytes: 400 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxDeviceUploads: 2,
  maxTotalUploads: 8,
};

export interface MediaStoreOptions extends Partial<MediaLimits> {
  dir: string;
  ttlMs?: number;
}

interface Upload {
  deviceId: string;
  bytes: number;
}

/** An upload refused by a limit: `status` is the HTTP answer, `code` the stable error code. */
export class MediaQuotaError extends Error {
  constructor(
    readonly status: 409 | 413 | 429 | 507,
    readonly code: 'MEDIA_TOO_LARGE' | 'MEDIA_QUOTA_EXCEEDED' | 'TOO_MANY_UPLOADS' | 'MEDIA_FORMAT_CONFLICT',
    message: string,
  ) {
    super(message);
  }
}

export class MediaStore {
  readonly dir: string;
  readonly ttlMs: number;
  readonly limits: MediaLimits;
  private readonly items = new Map<string, MediaItem>();
  /** Uploads still streaming, with the bytes each has received so far. */
  private readonly streaming = new Set<Upload>();

  constructor(options: MediaStoreOptions) {
    this.dir = options.dir;
    this.ttlMs = options.ttlMs ?? 60 * 60_000;
    const { dir: _dir, ttlMs: _ttl, ...limits } = options;
    this.limits = { ...DEFAULT_MEDIA_LIMITS, ...limits };
    ensurePrivateDir(this.dir);
  }

  get maxItemBytes(): number {
    return this.limits.maxItemBytes;
  }

  /** Bytes stored and streaming, for one device or (without an id) in total. */
  usedBytes(deviceId?: string): number {
    let used = 0;
    for (const item of this.items.values()) if (deviceId === undefined || item.deviceId === deviceId) used += item.bytes;
    for (const upload of this.streaming) if (deviceId === undefined || upload.deviceId === deviceId) used += upload.bytes;
    return used;
  }

  /** Streams an upload to disk, hashing as it goes; over any limit it stops and leaves nothing behind. */
  async put(body: Readable, format: MediaFormat, deviceId: string): Promise<MediaItem> {
    const upload = this.beginUpload(deviceId);
    const tmp = join(this.dir, `.upload-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        bytes += chunk.length;
        upload.bytes += chunk.length;
        const refusal = this.overLimit(deviceId, bytes);
        if (refusal) return done(refusal);
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(tmp, { mode: 0o600 }));
      const sha256 = hash.digest('hex');
      const now = Date.now();
      const item: MediaItem = { mediaId: sha256, format, bytes, sha256, deviceId, createdAtMs: now, expiresAtMs: now + this.ttlMs };
      const known = this.items.get(item.mediaId);
      if (known && known.format !== format) {
        // The id is the content hash: one id, one file. The same bytes under another format would
        // leave the first file on disk, uncounted and never swept.
        throw new MediaQuotaError(409, 'MEDIA_FORMAT_CONFLICT', `these bytes are already stored as ${known.format}; upload them as ${known.format}`);
      }
      await fs.rename(tmp, this.pathOf(item));
      // The same bytes uploaded twice are one file: count them once.
      this.items.set(item.mediaId, item);
      return item;
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    } finally {
      this.streaming.delete(upload);
    }
  }

  get(mediaId: string): (MediaItem & { path: string }) | undefined {
    const item = this.items.get(mediaId);
    if (!item || item.expiresAtMs <= Date.now()) return undefined;
    return { ...item, path: this.pathOf(item) };
  }

  /** Deletes expired items; called periodically. A file that could not be deleted stays listed for the next sweep. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const [id, item] of this.items) {
      if (item.expiresAtMs > now) continue;
      try {
        await fs.rm(this.pathOf(item), { force: true });
      } catch {
        continue;
      }
      this.items.delete(id);
      removed++;
    }
    return removed;
  }

  /** Everything goes (at start and at shutdown): media is a hand-off, not storage. */
  async clear(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
    this.items.clear();
    ensurePrivateDir(this.dir);
  }

  private beginUpload(deviceId: string): Upload {
    const { maxDeviceUploads, maxTotalUploads } = this.limits;
    const total = this.streaming.size;
    const mine = [...this.streaming].filter((upload) => upload.deviceId === deviceId).length;
    if (mine >= maxDeviceUploads || total >= maxTotalUploads) {
      throw new MediaQuotaError(
        429,
        'TOO_MANY_UPLOADS',
        `too many media uploads at once (${mine} from this device, ${total} in all; limits ${maxDeviceUploads} and ${maxTotalUploads}); retry when one has finished`,
      );
    }
    const upload: Upload = { deviceId, bytes: 0 };
    this.streaming.add(upload);
    return upload;
  }

  private overLimit(deviceId: string, itemBytes: number): MediaQuotaError | undefined {
    const { maxItemBytes, maxDeviceBytes, maxTotalBytes } = this.limits;
    if (itemBytes > maxItemBytes) return new MediaQuotaError(413, 'MEDIA_TOO_LARGE', `upload exceeds the ${maxItemBytes}-byte media limit`);
    if (this.usedBytes(deviceId) > maxDeviceBytes) {
      return new MediaQuotaError(507, 'MEDIA_QUOTA_EXCEEDED', `this device's media would exceed ${maxDeviceBytes} bytes; fetch or let older media expire (${Math.round(this.ttlMs / 60_000)} min), then retry`);
    }
    if (this.usedBytes() > maxTotalBytes) {
      return new MediaQuotaError(507, 'MEDIA_QUOTA_EXCEEDED', `the gateway's media store would exceed ${maxTotalBytes} bytes; retry when older media has expired`);
    }
    return undefined;
  }

  private pathOf(item: MediaItem): string {
    return join(this.dir, `${item.sha256}.${item.format}`);
  }
}
