/** Runs the node-agent in the foreground until SIGINT/SIGTERM. Shared by `tether-node` and `tether node run`. */
import { join } from 'node:path';
import { checkPlaintextAllowed, DEFAULT_GATEWAY_PORT, resolveTlsPin, terminalConfirm, TlsTrustError, type TlsPin } from '@tether/protocol';
import { TlsPinStore } from '@tether/pairing';
import { startNodeAgent } from './agent.js';
import { resolveNodeStateDir } from './state.js';

export interface RunNodeOptions {
  url?: string;
  stateDir?: string;
  displayName?: string;
  token?: string;
  /** Allow plaintext ws:// to a non-loopback address. */
  insecure?: boolean;
  /** Pin this certificate fingerprint (SHA-256 hex) for the gateway, if it presents it. */
  trustFingerprint?: string;
}

export const TLS_PINS_FILE = 'tls-pins.json';

export function nodeTlsPinStore(stateDir: string): TlsPinStore {
  return new TlsPinStore(join(stateDir, TLS_PINS_FILE));
}

/**
 * Everything decided before the first byte to the gateway: plaintext allowed or not, and for wss the
 * pinned certificate (stored, given, or confirmed by a person). Nothing secret is sent before this returns.
 */
export async function establishGatewayTrust(options: { url: string; stateDir: string; insecure?: boolean; trustFingerprint?: string; stateDirFlag?: string }): Promise<TlsPin | undefined> {
  const command = `tether node run --url ${options.url}${options.stateDirFlag ? ` --state-dir ${options.stateDirFlag}` : ''}`;
  try {
    checkPlaintextAllowed(options.url, options.insecure === true, 'tether node run');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!options.url.startsWith('wss:')) {
    if (options.trustFingerprint !== undefined) throw new UsageError(`--trust-fingerprint needs a wss:// URL, got ${options.url}`);
    return undefined;
  }
  try {
    return await resolveTlsPin({
      url: options.url,
      store: nodeTlsPinStore(options.stateDir),
      trustFingerprint: options.trustFingerprint,
      confirm: terminalConfirm(),
      say: (line) => process.stderr.write(`[node] ${line}\n`),
      pinCommand: command,
      resetCommand: `tether node trust --reset --url ${options.url}${options.stateDirFlag ? ` --state-dir ${options.stateDirFlag}` : ''}`,
    });
  } catch (error) {
    if (error instanceof TlsTrustError && error.code === 'USAGE') throw new UsageError(error.message);
    throw error;
  }
}

export class UsageError extends Error {
  readonly code = 'USAGE';
}

export function resolveGatewayUrl(url: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const value = url ?? env.TETHER_GATEWAY_URL ?? `ws://127.0.0.1:${DEFAULT_GATEWAY_PORT}`;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new UsageError(`--url must be a WebSocket URL such as ws://192.168.1.10:${DEFAULT_GATEWAY_PORT}, got "${value}"`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new UsageError(`--url must start with ws:// or wss://, got "${value}"`);
  }
  return value;
}

export async function runNodeUntilSignal(options: RunNodeOptions): Promise<number> {
  const url = resolveGatewayUrl(options.url);
  const stateDir = resolveNodeStateDir(options.stateDir);
  const token = options.token ?? (process.env.TETHER_GATEWAY_TOKEN || undefined);
  // Programs that system.run starts inherit this process's environment: they must not see the owner token.
  delete process.env.TETHER_GATEWAY_TOKEN;
  const tlsPin = await establishGatewayTrust({ url, stateDir, insecure: options.insecure, trustFingerprint: options.trustFingerprint, stateDirFlag: options.stateDir });
  const agent = await startNodeAgent({ url, stateDir, displayName: options.displayName, token, tlsPin });
  process.stderr.write(`[node] device ${agent.identity.deviceId} (state in ${stateDir})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await agent.close();
  return 0;
}
