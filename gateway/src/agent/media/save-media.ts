/**
 * Media a tool returned, kept where the transcript can point at it: `<agent dir>/media/`. The gateway's
 * media store is a short-lived hand-off (it empties at restart), so the agent keeps what it used.
 * Files are named by their content hash and the command's fixed extension table, never by anything
 * a node says, so the same bytes are one file however often a node sends them; media-store items are
 * taken only from the node that uploaded them, in the format they were uploaded as; and the folder
 * has a byte quota, so a node answering every call with its largest clip cannot fill the disk.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isRecord, mediaFileExtension } from '@tether/protocol';
import type { MediaStore } from '../../media/media-store.js';

export interface SavedToolMedia {
  path: string;
  bytes: number;
  mimeType: string;
  /** The bytes, for images a vision model may see (videos, and images over the cap, are not read). */
  data?: Buffer;
}

export type SaveOutcome = { saved: SavedToolMedia } | { refused: string } | undefined;

const MIME: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', mp4: 'video/mp4' };
export const DEFAULT_AGENT_MEDIA_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
/** Images above this are kept on disk but not read into memory for the model. */
const MAX_IMAGE_READ_BYTES = 50 * 1024 * 1024;

export function isImageMime(mimeType: string): boolean {
  return mimeType === 'image/jpeg' || mimeType === 'image/png';
}

/** The media folder and what it holds; the total is read from disk once, then kept as files are added. */
export class AgentMediaFolder {
  private used: Promise<number> | undefined;

  constructor(
    readonly dir: string,
    private readonly mediaStore: MediaStore,
    readonly quotaBytes = DEFAULT_AGENT_MEDIA_QUOTA_BYTES,
  ) {}

  /** Saves the media in a media command's payload from `nodeId`; undefined when the payload carries none. */
  async save(nodeId: string, command: string, payload: unknown): Promise<SaveOutcome> {
    if (!isRecord(payload)) return undefined;
    const extension = mediaFileExtension(command, payload.format);
    if (!extension) return undefined;
    const mimeType = MIME[extension]!;
    if (typeof payload.base64 === 'string') {
      const data = Buffer.from(payload.base64, 'base64');
      const path = this.pathOf(createHash('sha256').update(data).digest('hex'), extension);
      const refusal = await this.reserve(path, data.length);
      if (refusal) return { refused: refusal };
      await writeNew(path, (p) => fs.writeFile(p, data, { mode: 0o600, flag: 'wx' }));
      return { saved: { path, bytes: data.length, mimeType, ...(isImageMime(mimeType) ? { data } : {}) } };
    }
    if (typeof payload.mediaId === 'string') {
      const item = this.mediaStore.get(payload.mediaId);
      // Only the uploader's own item, in the format it was uploaded as: never another node's capture.
      if (!item || item.deviceId !== nodeId || item.format !== extension) return undefined;
      const path = this.pathOf(item.sha256, extension);
      const refusal = await this.reserve(path, item.bytes);
      if (refusal) return { refused: refusal };
      await writeNew(path, async (p) => {
        await fs.copyFile(item.path, p, fs.constants.COPYFILE_EXCL);
        await fs.chmod(p, 0o600);
      });
      const readable = isImageMime(mimeType) && item.bytes <= MAX_IMAGE_READ_BYTES;
      return { saved: { path, bytes: item.bytes, mimeType, ...(readable ? { data: await fs.readFile(path) } : {}) } };
    }
    return undefined;
  }

  private pathOf(sha256: string, extension: string): string {
    return join(this.dir, `${sha256}.${extension}`);
  }

  /** Counts `bytes` against the quota unless the file is already there; the reason when it does not fit. */
  private async reserve(path: string, bytes: number): Promise<string | undefined> {
    if (await exists(path)) return undefined;
    this.used ??= folderBytes(this.dir);
    const used = await this.used;
    if (used + bytes > this.quotaBytes) {
      return `not saved: the agent's media folder ${this.dir} holds ${used} bytes of its ${this.quotaBytes}-byte quota; delete old files there`;
    }
    this.used = Promise.resolve(used + bytes);
    return undefined;
  }
}

/** Writes a file that may already exist with the same content (same hash): then there is nothing to do. */
async function writeNew(path: string, write: (path: string) => Promise<void>): Promise<void> {
  await fs.mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  try {
    await write(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return fs.stat(path).then(
    () => true,
    () => false,
  );
}

async function folderBytes(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  let total = 0;
  for (const name of names) total += await fs.stat(join(dir, name)).then((s) => (s.isFile() ? s.size : 0), () => 0);
  return total;
}
