/** Runs the node-agent in the foreground until SIGINT/SIGTERM. Shared by `tether-node` and `tether node run`. */
import { DEFAULT_GATEWAY_PORT } from '@tether/protocol';
import { startNodeAgent } from './agent.js';
import { resolveNodeStateDir } from './state.js';

export interface RunNodeOptions {
  url?: string;
  stateDir?: string;
  displayName?: string;
  token?: string;
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
  const agent = await startNodeAgent({ url, stateDir, displayName: options.displayName, token });
  process.stderr.write(`[node] device ${agent.identity.deviceId} (state in ${stateDir})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await agent.close();
  return 0;
}
