/**
 * The node daemon: connect, wait for approval (printing once how to approve), serve commands, and
 * reconnect after gateway restarts and network loss without restarting itself.
 */
import { join } from 'node:path';
import { GatewayClient, safeText, type ClientStatus, type GatewayError, type TlsPin } from '@tether/protocol';
import { loadOrCreateIdentity, verificationCode, type DeviceIdentity } from '@tether/pairing';
import { InvokeHandler } from './invoke-handler.js';
import { wirePlatform } from './platform.js';
import { httpOriginOf, offloadLargeMedia } from './media-offload.js';
import { readNodeConfig } from './node-config.js';
import { detectCapabilities } from './providers.js';
import { loadOrCreateNodeRecord, readDeviceToken, saveDeviceToken } from './state.js';

export const NODE_AGENT_VERSION = '0.1.0';

export interface NodeAgentOptions {
  url: string;
  stateDir: string;
  displayName?: string;
  /** Optional shared gateway token; pairing works without it. */
  token?: string;
  /** Required for `wss://`: the pinned certificate (see `resolveTlsPin`); nothing is sent to any other. */
  tlsPin?: TlsPin;
  /** Asked for the pin again after the gateway presented a certificate the pin refused (a rotation). */
  refreshTlsPin?: () => Promise<TlsPin>;
  /** A setup code's one-time token: redeemed at the first connect, then replaced by the device token. */
  bootstrapToken?: string;
  log?: (message: string) => void;
}

export interface NodeAgent {
  readonly identity: DeviceIdentity;
  readonly commands: string[];
  readonly client: GatewayClient;
  /** Resolves once the node is connected and serving (after approval if needed). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function identityDir(stateDir: string): string {
  return join(stateDir, 'identity');
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  // Log lines carry the gateway's and callers' words (request ids, errors, command names): each line is
  // made terminal-safe here, once, so no message can draw on the owner's terminal.
  if (options.url.startsWith('wss:') && !options.tlsPin) {
    throw new Error(`no pinned certificate for ${options.url}: establish one first (tether node run does, with --trust-fingerprint or a confirmation)`);
  }
  const log = options.log ?? ((message: string) => process.stderr.write(`${message.split('\n').map((line) => `[node] ${safeText(line)}`).join('\n')}\n`));
  const identity = loadOrCreateIdentity({ dir: identityDir(options.stateDir), resetHint: 'tether node identity --reset' });
  const record = await loadOrCreateNodeRecord(options.stateDir, options.displayName);
  const capabilities = await detectCapabilities({
    stateDir: options.stateDir,
    console: (line) => log(line),
    log,
    // The closure runs only during an invoke, after `client` exists.
    askGateway: (request) => client.request('exec.approval.request', request, { timeoutMs: request.timeoutMs + 5_000 }),
  });
  const commands = capabilities.commands();
  const inlineMaxBytes = readNodeConfig(options.stateDir).media.inlineMaxBytes;
  let deviceToken = readDeviceToken(options.stateDir, options.url);
  const { platform, deviceFamily } = wirePlatform();

  let announcedRequest: string | undefined;
  let readyResolve: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));

  const client: GatewayClient = new GatewayClient({
    url: options.url,
    role: 'node',
    scopes: [],
    client: { id: 'node-host', mode: 'node', version: NODE_AGENT_VERSION, platform, deviceFamily, displayName: record.displayName, instanceId: record.nodeId },
    caps: capabilities.families(),
    commands,
    pathEnv: process.env.PATH,
    // Tells a Tether gateway that this node retries by itself while pairing is pending.
    userAgent: `tether-node/${NODE_AGENT_VERSION}`,
    token: options.token,
    deviceToken,
    identity,
    tlsPin: options.tlsPin,
    ...(options.refreshTlsPin ? { refreshTlsPin: options.refreshTlsPin } : {}),
    ...(options.bootstrapToken ? { bootstrapToken: options.bootstrapToken } : {}),
    onEvent: (event, payload) => invokes.onEvent(event, payload),
    onDeviceToken: (token, hello) => {
      deviceToken = token;
      void saveDeviceToken(options.stateDir, options.url, token, hello.auth?.role ?? 'node', hello.auth?.scopes ?? []).catch((error: Error) =>
        log(`could not save the device token: ${error.message}`),
      );
    },
    onPairingRequired: (error, challenge) => {
      const requestId = typeof error.details?.requestId === 'string' ? error.details.requestId : undefined;
      if (!requestId || requestId === announcedRequest) return;
      announcedRequest = requestId;
      // Only a Tether gateway sends its key in the challenge; without it this is an OpenClaw gateway.
      const isTether = typeof challenge?.gatewayPublicKey === 'string';
      const code = isTether ? safeCode(challenge.gatewayPublicKey!, identity.publicKey, client.currentTlsPin?.fingerprint) : undefined;
      log(
        [
          `waiting for approval on the gateway (${options.url})`,
          `  request id:        ${requestId}`,
          ...(code ? [`  verification code: ${code}  (check that \`tether devices list\` shows the same code)`] : []),
          `  approve it on the gateway host with:`,
          isTether
            ? `    tether devices approve ${requestId}`
            : `    openclaw devices approve ${requestId}   (then \`openclaw nodes approve\` for its commands)`,
        ].join('\n'),
      );
    },
    onStatus: (status: ClientStatus) => onStatus(status),
  });
  const invokes = new InvokeHandler({
    nodeId: () => identity.deviceId,
    capabilities,
    transport: client,
    log,
    // Only a Tether gateway (it sends its key in the challenge) has a media store to upload to.
    finishResult: (payload, signal, invokeId) =>
      offloadLargeMedia(
        payload,
        inlineMaxBytes,
        client.challenge?.gatewayPublicKey && deviceToken ? { origin: httpOriginOf(options.url), deviceId: identity.deviceId, deviceToken, invokeId, tlsPin: client.currentTlsPin } : undefined,
        signal,
      ),
  });

  let lastState: string | undefined;
  function onStatus(status: ClientStatus): void {
    if (status.state === 'connected') {
      announcedRequest = undefined;
      log(`connected to ${options.url} as ${record.displayName} (${identity.deviceId.slice(0, 12)}); offering ${commands.join(', ')}`);
      readyResolve();
    } else if (status.state === 'waiting' && lastState !== 'waiting') {
      invokes.abortAll();
      log(`not connected (${describe(status.error)}); retrying in ${Math.round((status.retryInMs ?? 0) / 100) / 10} s`);
    }
    lastState = status.state;
  }

  client.start();
  return {
    identity,
    commands,
    client,
    ready: () => readyPromise,
    close: async () => {
      invokes.abortAll();
      await client.close();
    },
  };
}

/** Over TLS the code covers the pinned certificate too (the handshake enforced it, so it is the one this socket saw). */
function safeCode(gatewayKey: string, deviceKey: string, tlsFingerprint?: string): string | undefined {
  try {
    return verificationCode(gatewayKey, deviceKey, tlsFingerprint);
  } catch {
    return undefined;
  }
}

function describe(error: GatewayError | undefined): string {
  return error ? error.message : 'connection closed';
}
