/**
 * GET /agent-media/<sha256>.<jpg|png|mp4>: a file the agent saved from a tool result (a camera snap, a
 * screen snapshot, a clip), for the Control UI's tool steps. The agent names those files by their
 * content hash and a fixed extension (agent/media/save-media.ts), so the route takes only such a name:
 * no path, no other character, ever reaches the disk. The file is opened without following links and
 * must be a regular file. Who may fetch: the shared token, or a paired operator device (its operator
 * token as a Bearer token and its id in X-Tether-Device-Id) holding operator.write or operator.admin:
 * the scope `chat.history` requires before it shows tool results and their files at all.
 */
import { constants, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { GatewayContext } from '../context.js';
import { checkOperatorCredential } from './operator-credential.js';
import { fail } from './respond.js';

/** The route's pattern: a content hash and one of the agent's extensions, nothing else. */
export const AGENT_MEDIA_PATH = /^\/agent-media\/([0-9a-f]{64}\.(?:jpg|png|mp4))$/;
const CONTENT_TYPES: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', mp4: 'video/mp4' };
const SCOPES_THAT_SEE_TOOL_RESULTS = ['operator.write', 'operator.admin'];

/** Where the main agent keeps its media (the same folder server.ts hands to MeshTools). */
export function agentMediaDir(stateDir: string): string {
  return join(stateDir, 'agents', 'main', 'media');
}

/** The shared token, or a paired operator device's current token with a scope that sees tool results. */
function mayFetch(gateway: GatewayContext, request: IncomingMessage): boolean {
  return checkOperatorCredential(gateway, request, SCOPES_THAT_SEE_TOOL_RESULTS).ok;
}

export async function downloadAgentMedia(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, name: string): Promise<void> {
  if (!mayFetch(gateway, request)) {
    return fail(
      response,
      401,
      'UNAUTHORIZED',
      "agent media needs the gateway's token as a Bearer token, or a paired operator device's token with operator.write (and its id in X-Tether-Device-Id)",
    );
  }
  const gone = () => fail(response, 404, 'MEDIA_NOT_FOUND', `the agent has no saved file ${name}: it was deleted from its media folder; capture it again`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(join(agentMediaDir(gateway.config.stateDir), name), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return gone();
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return gone();
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)]!,
      'content-length': String(stat.size),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
    await pipeline(handle.createReadStream({ autoClose: false }), response);
  } catch (error) {
    // The client went away or the disk failed mid-stream; once the headers are out, the socket is cut.
    gateway.log.debug(`agent media ${name.slice(0, 12)} download ended early: ${(error as Error).message}`);
    if (response.headersSent) response.destroy();
    else gone();
  } finally {
    await handle.close().catch(() => undefined);
  }
}
