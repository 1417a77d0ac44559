/**
 * Media results become files: inline base64 is decoded, a gateway media reference is downloaded.
 * The CLI always saves the file and prints its path (large media never travels through the terminal).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isRecord } from '@tether/protocol';
import type { GatewayTarget } from './gateway-target.js';
import { CliError } from './output.js';

export interface SavedMedia {
  path: string;
  format: string;
  bytes: number;
  [key: string]: unknown;
}

/** The gateway's HTTP origin for a ws:// or wss:// URL. */
export function httpOrigin(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  return url.origin;
}

export async function saveMediaResult(payload: unknown, target: GatewayTarget, name: string, out?: string): Promise<SavedMedia> {
  if (!isRecord(payload) || typeof payload.format !== 'string') throw new CliError(`the node answered without media: ${JSON.stringify(payload)}`);
  const format = payload.format;
  let bytes: Buffer;
  if (typeof payload.base64 === 'string') {
    bytes = Buffer.from(payload.base64, 'base64');
  } else if (typeof payload.mediaId === 'string') {
    bytes = await downloadMedia(target, payload.mediaId, typeof payload.sha256 === 'string' ? payload.sha256 : undefined);
  } else {
    throw new CliError('the node answered with neither base64 nor a media reference');
  }
  const path = resolve(out ?? join(tmpdir(), `tether-${name}-${randomUUID().slice(0, 8)}.${format}`));
  writeFileSync(path, bytes, { mode: 0o600 });
  const { base64: _inline, ...meta } = payload;
  return { ...meta, path, format, bytes: bytes.length };
}

async function downloadMedia(target: GatewayTarget, mediaId: string, sha256: string | undefined): Promise<Buffer> {
  const response = await fetch(`${httpOrigin(target.url)}/media/${encodeURIComponent(mediaId)}`, {
    headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
    signal: AbortSignal.timeout(target.timeoutMs * 6),
  });
  if (!response.ok) throw new CliError(`downloading media ${mediaId} failed: HTTP ${response.status} ${await response.text()}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (sha256) {
    const { createHash } = await import('node:crypto');
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) throw new CliError(`media ${mediaId} arrived damaged (sha256 ${actual}, expected ${sha256}); try again`);
  }
  return bytes;
}
