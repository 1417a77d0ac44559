/**
 * Where the CLI's requests go. On the gateway's own host the URL and token come from the state dir,
 * so no flags are needed; `--url`/`--token` and TETHER_GATEWAY_URL/TETHER_GATEWAY_TOKEN override.
 */
import { join } from 'node:path';
import {
  checkPlaintextAllowed,
  DEFAULT_GATEWAY_PORT,
  GatewayClient,
  GatewayError,
  resolveTlsPin,
  safeText,
  terminalConfirm,
  TlsTrustError,
  type GatewayClientOptions,
  type OperatorScope,
  type TlsPin,
} from '@tether/protocol';
import { TlsPinStore } from '@tether/pairing';
import { readRuntimeInfo, readSharedToken, resolveStateDir } from '@tether/gateway/state-dir';
import { CliError, usageError } from './output.js';

export interface ConnectionFlags {
  url?: string;
  token?: string;
  timeout?: string;
  stateDir?: string;
  json?: boolean;
  /** Allow plaintext ws:// beyond loopback. */
  insecure?: boolean;
  /** Pin this certificate (SHA-256 hex) for a wss:// gateway on first contact. */
  trustFingerprint?: string;
}

export interface GatewayTarget {
  url: string;
  token?: string;
  timeoutMs: number;
  /** wss://: the certificate this state dir's running gateway serves, when it is the target. */
  localTls?: TlsPin;
}

/** The CLI's own pins (operator commands against remote gateways), next to its state. */
export const CLI_TLS_PINS_FILE = 'cli-tls-pins.json';

export const CLI_VERSION = '0.1.0';

export function parseTimeout(value: string | undefined, fallback = 10_000): number {
  if (value === undefined) return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw usageError(`--timeout takes milliseconds as a positive whole number, got "${value}"`);
  return ms;
}

export function resolveTarget(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): GatewayTarget {
  const stateDir = resolveStateDir(flags.stateDir, env);
  const local = readRuntimeInfo(stateDir);
  const explicitUrl = flags.url ?? (env.TETHER_GATEWAY_URL || undefined);
  const url = explicitUrl ?? local?.url ?? `ws://127.0.0.1:${DEFAULT_GATEWAY_PORT}`;
  try {
    const protocol = new URL(url).protocol;
    if (protocol !== 'ws:' && protocol !== 'wss:') throw new Error();
  } catch {
    throw usageError(`--url must be a WebSocket URL such as ws://127.0.0.1:${DEFAULT_GATEWAY_PORT}, got "${url}"`);
  }
  // The local token file is offered only to the gateway this state dir records as running, at the URL
  // it recorded: never to a URL someone typed, and never to whatever listens on the default port while
  // the gateway is down (any local process could bind it and collect the owner token).
  const isLocal = local !== undefined && url === local.url;
  const token = flags.token ?? (env.TETHER_GATEWAY_TOKEN || undefined) ?? (isLocal ? readSharedToken(stateDir) : undefined);
  const localTls = isLocal && local.tlsFingerprint && local.tlsCertPem ? { fingerprint: local.tlsFingerprint, certPem: local.tlsCertPem } : undefined;
  return { url, token, timeoutMs: parseTimeout(flags.timeout), ...(localTls ? { localTls } : {}) };
}

/**
 * Decides, before any byte to the gateway, whether this connection may happen and with which pin:
 * ws:// beyond loopback only with --insecure; wss:// with the local gateway's own certificate, a stored
 * pin, --trust-fingerprint, or a confirmation on the terminal.
 */
export async function resolveTargetTls(flags: ConnectionFlags, target: GatewayTarget, env: NodeJS.ProcessEnv = process.env): Promise<TlsPin | undefined> {
  try {
    checkPlaintextAllowed(target.url, flags.insecure === true, 'the command');
  } catch (error) {
    throw usageError((error as Error).message);
  }
  if (!target.url.startsWith('wss:')) return undefined;
  if (target.localTls && flags.trustFingerprint === undefined) return target.localTls;
  const stateDir = resolveStateDir(flags.stateDir, env);
  const urlFlag = `--url ${target.url}`;
  try {
    return await resolveTlsPin({
      url: target.url,
      store: new TlsPinStore(join(stateDir, CLI_TLS_PINS_FILE)),
      trustFingerprint: flags.trustFingerprint,
      confirm: terminalConfirm(),
      say: (line) => process.stderr.write(`${safeText(line)}\n`),
      pinCommand: `tether gateway status ${urlFlag}`,
      resetCommand: `tether gateway trust --reset ${urlFlag}`,
    });
  } catch (error) {
    if (error instanceof TlsTrustError) {
      if (error.code === 'USAGE') throw usageError(error.message);
      throw new CliError(error.message);
    }
    throw error;
  }
}

/** What a command may add to its connection: client caps (e.g. `tool-events`) and listeners (events, reconnects). */
export type ConnectionExtras = Pick<GatewayClientOptions, 'caps' | 'onEvent' | 'onHello' | 'onDisconnect'>;

/** Opens one operator connection, runs `action`, and always closes it. */
export async function withGateway<T>(
  flags: ConnectionFlags,
  scopes: OperatorScope[],
  action: (client: GatewayClient, target: GatewayTarget) => Promise<T>,
  extras: ConnectionExtras = {},
): Promise<T> {
  const target = resolveTarget(flags);
  const tlsPin = await resolveTargetTls(flags, target);
  const client = new GatewayClient({
    url: target.url,
    tlsPin,
    token: target.token,
    role: 'operator',
    scopes,
    client: { id: 'cli', mode: 'cli', version: CLI_VERSION, platform: process.platform, instanceId: undefined },
    requestTimeoutMs: target.timeoutMs,
    connectTimeoutMs: Math.min(target.timeoutMs, 15_000),
    ...extras,
  });
  try {
    await client.connect();
  } catch (error) {
    if (error instanceof Error && /ECONNREFUSED|cannot reach/.test(error.message)) {
      throw new CliError(`no gateway is answering at ${target.url}; start one with \`tether gateway run\` (or \`tether up\`), or pass --url`);
    }
    // A gateway without auth (gateway.auth.mode "none", loopback only) needs no token, so only explain when one was missing.
    if (!target.token && error instanceof GatewayError && error.detailCode === 'AUTH_TOKEN_MISSING') {
      const stateDir = resolveStateDir(flags.stateDir);
      if (!flags.url && !process.env.TETHER_GATEWAY_URL && !readRuntimeInfo(stateDir)) {
        throw new CliError(
          `something answers at ${target.url}, but no gateway from ${stateDir} is running there, so its token was not offered to it; ` +
            'start the gateway (`tether gateway run`), or point --state-dir at the one that is running',
        );
      }
      throw new CliError(
        `no gateway token for ${target.url}: pass --token or set TETHER_GATEWAY_TOKEN (on the gateway host it is in ${resolveStateDir(flags.stateDir)}/gateway.token)`,
      );
    }
    throw error;
  }
  try {
    return await action(client, target);
  } finally {
    await client.close();
  }
}
