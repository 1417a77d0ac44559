/**
 * Media too large to travel inline (clips, recordings): nodes upload it over HTTP, operators fetch
 * it by id. Content-addressed (the id is the SHA-256), size-capped while streaming, expired after a TTL.
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

export interface MediaStoreOptions {
  dir: string;
  /** Largest single upload. Default 200 MiB: a 60 s clip at a high bitrate. */
  maxItemBytes?: number;
  ttlMs?: number;
}

export class MediaTooLargeError extends Error {
  readonly code = 'MEDIA_TOO_LARGE';
}

export class MediaStore {
  readonly dir: string;
  readonly maxItemBytes: number;
  readonly ttlMs: number;
  private readonly items = new Map<string, MediaItem>();

  constructor(options: MediaStoreOptions) {
    this.dir = options.dir;
    this.maxItemBytes = options.maxItemBytes ?? 200 * 1024 * 1024;
    this.ttlMs = options.ttlMs ?? 60 * 60_000;
    ensurePrivateDir(this.dir);
  }

  /** Streams an upload to disk, hashing as it goes; over the cap it stops and leaves nothing behind. */
  async put(body: Readable, format: MediaFormat, deviceId: string): Promise<MediaItem> {
    const tmp = join(this.dir, `.upload-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const cap = this.maxItemBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > cap) return done(new MediaTooLargeError(`upload exceeds the ${cap}-byte media limit`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(tmp, { mode: 0o600 }));
      const sha256 = hash.digest('hex');
      const now = Date.now();
      const item: MediaItem = { mediaId: sha256, format, bytes, sha256, deviceId, createdAtMs: now, expiresAtMs: now + this.ttlMs };
      await fs.rename(tmp, this.pathOf(item));
      this.items.set(item.mediaId, item);
      return item;
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
  }

  get(mediaId: string): (MediaItem & { path: string }) | undefined {
    const item = this.items.get(mediaId);
    if (!item || item.expiresAtMs <= Date.now()) return undefined;
    return { ...item, path: this.pathOf(item) };
  }

  /** Deletes expired items; called periodically. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const [id, item] of this.items) {
      if (item.expiresAtMs > now) continue;
      this.items.delete(id);
      await fs.rm(this.pathOf(item), { force: true });
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

  private pathOf(item: MediaItem): string {
    return join(this.dir, `${item.sha256}.${item.format}`);
  }
}
