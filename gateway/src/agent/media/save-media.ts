/**
 * Media a tool returned, kept where the transcript can point at it: `<agent dir>/media/`. The gateway's
 * media store is a short-lived hand-off (it empties at restart), so the agent copies what it used. The
 * file name comes from the run, a counter and the command's fixed extension table, never from the node.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isRecord, mediaFileExtension } from '@tether/protocol';
import type { MediaStore } from '../../media/media-store.js';

export interface SavedToolMedia {
  path: string;
  bytes: number;
  mimeType: string;
  /** The bytes, for images a vision model may see (videos are not kept in memory). */
  data?: Buffer;
}

const MIME: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', mp4: 'video/mp4' };

export function isImageMime(mimeType: string): boolean {
  return mimeType === 'image/jpeg' || mimeType === 'image/png';
}

/** Saves the media in a media command's payload; undefined when the payload carries none. */
export async function saveToolMedia(options: {
  dir: string;
  name: string;
  command: string;
  payload: unknown;
  mediaStore: MediaStore;
}): Promise<SavedToolMedia | undefined> {
  const { payload, command } = options;
  if (!isRecord(payload)) return undefined;
  const extension = mediaFileExtension(command, payload.format);
  if (!extension) return undefined;
  const mimeType = MIME[extension]!;
  const path = join(options.dir, `${options.name}.${extension}`);
  await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
  if (typeof payload.base64 === 'string') {
    const data = Buffer.from(payload.base64, 'base64');
    await fs.writeFile(path, data, { mode: 0o600, flag: 'wx' });
    return { path, bytes: data.length, mimeType, ...(isImageMime(mimeType) ? { data } : {}) };
  }
  if (typeof payload.mediaId === 'string') {
    const item = options.mediaStore.get(payload.mediaId);
    if (!item) return undefined;
    await fs.copyFile(item.path, path);
    await fs.chmod(path, 0o600);
    return { path, bytes: item.bytes, mimeType, ...(isImageMime(mimeType) ? { data: await fs.readFile(path) } : {}) };
  }
  return undefined;
}
