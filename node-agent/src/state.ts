/**
 * The node's state directory: identity, its instance record and the device tokens it was issued.
 * Default `~/.tether/node`, so a gateway and a node on one machine never share key files.
 */
import { randomUUID } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ensurePrivateDir, readJsonFile, writeJsonAtomic } from '@tether/pairing';

export function resolveNodeStateDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.TETHER_NODE_STATE_DIR) return resolve(env.TETHER_NODE_STATE_DIR);
  return join(env.TETHER_STATE_DIR ? resolve(env.TETHER_STATE_DIR) : join(homedir(), '.tether'), 'node');
}

export interface NodeRecord {
  version: 1;
  /** Instance id sent as client.instanceId; the gateway routes by the key-derived device id instead. */
  nodeId: string;
  displayName: string;
}

export async function loadOrCreateNodeRecord(stateDir: string, displayName?: string): Promise<NodeRecord> {
  ensurePrivateDir(stateDir);
  const path = join(stateDir, 'node.json');
  const existing = readJsonFile(path) as Partial<NodeRecord> | undefined;
  const record: NodeRecord = {
    version: 1,
    nodeId: typeof existing?.nodeId === 'string' ? existing.nodeId : randomUUID(),
    displayName: displayName ?? (typeof existing?.displayName === 'string' ? existing.displayName : hostname()),
  };
  if (!existing || existing.nodeId !== record.nodeId || existing.displayName !== record.displayName) await writeJsonAtomic(path, record);
  return record;
}

interface TokenFile {
  version: 1;
  tokens: Record<string, { token: string; role: string; scopes: string[]; updatedAtMs: number }>;
}

function tokenPath(stateDir: string): string {
  return join(stateDir, 'device-auth.json');
}

function readTokens(stateDir: string): TokenFile {
  try {
    const value = readJsonFile(tokenPath(stateDir)) as TokenFile | undefined;
    if (value && value.version === 1 && typeof value.tokens === 'object') return value;
  } catch {
    // A damaged token file only costs a re-issue: a Tether gateway trusts the key and sends a fresh token.
  }
  return { version: 1, tokens: {} };
}

/** Device tokens are kept per gateway URL (the same key may be paired with several gateways). */
export function readDeviceToken(stateDir: string, gatewayUrl: string): string | undefined {
  return readTokens(stateDir).tokens[gatewayUrl]?.token;
}

export async function saveDeviceToken(stateDir: string, gatewayUrl: string, token: string, role: string, scopes: string[]): Promise<void> {
  const file = readTokens(stateDir);
  file.tokens[gatewayUrl] = { token, role, scopes, updatedAtMs: Date.now() };
  await writeJsonAtomic(tokenPath(stateDir), file);
}
