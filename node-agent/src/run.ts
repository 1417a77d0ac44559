/** Runs the node-agent in the foreground until SIGINT/SIGTERM. Shared by `tether-node` and `tether node run`. */
import { connect } from 'node:net';
import { join } from 'node:path';
import { checkPlaintextAllowed, DEFAULT_GATEWAY_PORT, normalizeFingerprint, resolveTlsPin, safeLabel, SetupCodeError, terminalConfirm, TlsTrustError, type TlsPin } from '@tether/protocol';
import { TlsPinStore } from '@tether/pairing';
import { startNodeAgent } from './agent.js';
import { discoverGateway, GatewayDiscoveryError } from './discover-gateway.js';
import { readSetupCodeInput, SetupCodeInputError } from './setup-code-input.js';
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
  /** A setup code (`oc-pair://…`), or a file holding one (read once, then deleted). */
  pair?: string;
  pairFile?: string;
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
  const target = await chooseGateway(options);
  const url = target.url;
  const stateDir = resolveNodeStateDir(options.stateDir);
  const token = options.token ?? (process.env.TETHER_GATEWAY_TOKEN || undefined) ?? target.sharedToken;
  // Programs that system.run starts inherit this process's environment: they must not see the owner token.
  delete process.env.TETHER_GATEWAY_TOKEN;
  const trust = { url, stateDir, insecure: options.insecure, stateDirFlag: options.stateDir };
  const tlsPin = await establishGatewayTrust({ ...trust, trustFingerprint: target.trustFingerprint });
  // While running, a certificate the pin refuses is checked again before each reconnect: a rotation
  // the pinned certificate signed is followed (and stored); anything else keeps being refused.
  const refreshTlsPin = tlsPin ? async () => (await establishGatewayTrust(trust)) ?? tlsPin : undefined;
  const agent = await startNodeAgent({
    url,
    stateDir,
    displayName: options.displayName,
    token,
    tlsPin,
    ...(refreshTlsPin ? { refreshTlsPin } : {}),
    ...(target.bootstrapToken ? { bootstrapToken: target.bootstrapToken } : {}),
  });
  process.stderr.write(`[node] device ${agent.identity.deviceId} (state in ${stateDir})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await agent.close();
  return 0;
}

interface GatewayChoice {
  url: string;
  trustFingerprint?: string;
  bootstrapToken?: string;
  /** From an old-format setup code, which carried the shared token itself. */
  sharedToken?: string;
}

/**
 * Where to connect and what to trust, in order: a setup code (its URL, its pin, its one-time token);
 * `--url` or TETHER_GATEWAY_URL; a gateway on this machine if one answers on the default port; else the
 * LAN over mDNS (the only gateway found, or the one a person picks). mDNS is a hint: its fingerprint is
 * never trusted on its word, so a discovered TLS gateway still needs a pin or a confirmation.
 */
async function chooseGateway(options: RunNodeOptions): Promise<GatewayChoice> {
  let code;
  try {
    code = readSetupCodeInput({ pair: options.pair, pairFile: options.pairFile });
  } catch (error) {
    if (error instanceof SetupCodeInputError || error instanceof SetupCodeError) throw new UsageError(error.message);
    throw error;
  }
  if (code) {
    if (options.url !== undefined) throw new UsageError('give either --pair/--pair-file or --url: a setup code names its gateway');
    if (options.trustFingerprint !== undefined && code.tlsFingerprint !== undefined && normalizeFingerprint(options.trustFingerprint) !== code.tlsFingerprint) {
      throw new UsageError('--trust-fingerprint differs from the fingerprint in the setup code; leave --trust-fingerprint out');
    }
    const secret = code.bootstrapToken ?? code.token ?? code.password;
    return {
      url: resolveGatewayUrl(code.url),
      ...(code.tlsFingerprint ?? options.trustFingerprint ? { trustFingerprint: code.tlsFingerprint ?? options.trustFingerprint } : {}),
      ...(code.bootstrapToken ? { bootstrapToken: code.bootstrapToken } : {}),
      // Older codes carried the shared token itself (OpenClaw's first format).
      ...(!code.bootstrapToken && secret ? { sharedToken: secret } : {}),
    };
  }
  const trust = options.trustFingerprint !== undefined ? { trustFingerprint: options.trustFingerprint } : {};
  if (options.url !== undefined || process.env.TETHER_GATEWAY_URL) return { url: resolveGatewayUrl(options.url), ...trust };
  const local = `ws://127.0.0.1:${DEFAULT_GATEWAY_PORT}`;
  if (await answers('127.0.0.1', DEFAULT_GATEWAY_PORT)) return { url: local, ...trust };
  try {
    const found = await discoverGateway({ timeoutMs: 3_000 });
    // Anyone on the LAN can answer mDNS: a discovered gateway is reached over TLS (and pinned) or not at all.
    if (!found.url.startsWith('wss://')) {
      throw new UsageError(`the gateway found over mDNS (${safeLabel(found.url, 128)}) does not serve TLS; a discovered address is only used over TLS. Name it yourself: tether node run --url ${safeLabel(found.url, 128)}${options.insecure ? '' : ' --insecure'}`);
    }
    process.stderr.write(`[node] found gateway "${safeLabel(found.displayName ?? found.name, 64)}" at ${found.url} over mDNS\n`);
    return { url: resolveGatewayUrl(found.url), ...trust };
  } catch (error) {
    if (error instanceof GatewayDiscoveryError) throw new UsageError(`${error.message}\nOr name the gateway: tether node run --url wss://HOST:18789 (or --pair <setup code>)`);
    throw error;
  }
}

/** Whether something accepts TCP connections there within a moment (the local gateway, usually). */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(300, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
