/**
 * Media results become files: inline base64 is decoded, a gateway media reference is downloaded.
 * The CLI always saves the file and prints its path (large media never travels through the terminal).
 *
 * The node is another party, so nothing it sends names the file: the extension comes from a fixed
 * table keyed by the command the CLI asked for, and the result must pass that command's schema first.
 * Only the operator's own `--out` picks another place.
 */
import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { checkCommandResult, mediaFileExtension, safeLabel } from '@tether/protocol';
import type { GatewayTarget } from './gateway-target.js';
import { invalidNodeResult } from './node-invoke.js';
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

/** Where a result is saved by default: a new file directly in the temp directory, named by the CLI alone. */
export function defaultMediaPath(command: string, extension: string, directory = tmpdir()): string {
  const path = resolve(directory, `tether-${command.replace(/\./g, '-')}-${randomUUID().slice(0, 8)}.${extension}`);
  // The parts are the CLI's own, so this holds; it stays as the last line of defence for a future edit.
  if (dirname(path) !== resolve(directory)) throw new CliError(`refusing to save media outside ${directory}`, 1, 'UNSAFE_PATH');
  return path;
}

/** `command` is the one the CLI invoked; `payload` is the node's answer to it. */
export async function saveMediaResult(command: string, payload: unknown, target: GatewayTarget, out?: string): Promise<SavedMedia> {
  const check = checkCommandResult(command, payload);
  if (!check.ok) throw invalidNodeResult(undefined, check.reason);
  const result = payload as Record<string, unknown>;
  const extension = mediaFileExtension(command, result.format);
  if (!extension) throw invalidNodeResult(undefined, `${command} result: format is not one the CLI saves`);
  const format = result.format as string;
  let bytes: Buffer;
  if (typeof result.base64 === 'string') {
    bytes = Buffer.from(result.base64, 'base64');
  } else if (typeof result.mediaId === 'string') {
    bytes = await downloadMedia(target, result.mediaId);
  } else {
    // An https `url` from the node: fetching a node-chosen address from the operator's machine would let
    // the node probe the operator's network, so the CLI downloads only from its own gateway.
    throw new CliError(
      `the node answered ${command} with a URL instead of the media; the CLI downloads media only from the gateway. Run \`tether nodes invoke --command ${command} --json\` to see the raw answer`,
      1,
      'MEDIA_URL_UNSUPPORTED',
    );
  }
  if (typeof result.sha256 === 'string') {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== result.sha256) throw new CliError(`${command} media arrived damaged (sha256 ${actual}, expected ${result.sha256}); try again`, 1, 'MEDIA_DAMAGED');
  }
  const path = out !== undefined ? resolve(out) : defaultMediaPath(command, extension);
  // A default path is always new ("wx"): a file or symlink planted at that name is never followed.
  writeFileSync(path, bytes, { mode: 0o600, flag: out !== undefined ? 'w' : 'wx' });
  const { base64: _inline, ...meta } = result;
  return { ...meta, path, format, bytes: bytes.length };
}

async function downloadMedia(target: GatewayTarget, mediaId: string): Promise<Buffer> {
  const response = await fetch(`${httpOrigin(target.url)}/media/${encodeURIComponent(mediaId)}`, {
    headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
    signal: AbortSignal.timeout(target.timeoutMs * 6),
  });
  if (!response.ok) throw new CliError(`downloading media ${mediaId} failed: HTTP ${response.status} ${safeLabel(await response.text(), 200, '')}`, 1, 'MEDIA_DOWNLOAD_FAILED');
  return Buffer.from(await response.arrayBuffer());
}
