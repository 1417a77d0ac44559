/**
 * `tether node install --pair <code>`: redeem the setup code once, in the foreground, so the person sees
 * the node paired (or why not) before a service is installed that runs with the URL only. The device
 * token and the TLS pin land in the state dir, where the service finds them.
 */
import type { DecodedSetupCode } from '@tether/protocol';

export interface PairOnceOptions {
  pair?: string;
  pairFile?: string;
  url?: string;
  stateDir: string;
  displayName?: string;
  trustFingerprint?: string;
  insecure?: boolean;
  timeoutMs: number;
  say: (line: string) => void;
}

export interface PairOnceResult {
  url: string;
  deviceId: string;
  paired: boolean;
}

export class PairOnceError extends Error {
  constructor(
    message: string,
    readonly usage: boolean,
  ) {
    super(message);
  }
}

/** With a code: pair and wait for the device token. With --url only: settle TLS trust (a prompt) and stop. */
export async function prepareNode(options: PairOnceOptions): Promise<PairOnceResult> {
  const agentModule = await import('@tether/node-agent');
  const { establishGatewayTrust, readDeviceToken, readSetupCodeInput, resolveGatewayUrl, SetupCodeInputError, startNodeAgent, UsageError, identityDir } = agentModule;
  const { SetupCodeError, normalizeFingerprint } = await import('@tether/protocol');
  let code: DecodedSetupCode | undefined;
  try {
    code = readSetupCodeInput({ pair: options.pair, pairFile: options.pairFile });
    if (code && options.url !== undefined) throw new UsageError('give either --pair/--pair-file or --url: a setup code names its gateway');
    if (code && options.trustFingerprint !== undefined && code.tlsFingerprint !== undefined && normalizeFingerprint(options.trustFingerprint) !== code.tlsFingerprint) {
      throw new UsageError('--trust-fingerprint differs from the fingerprint in the setup code; leave --trust-fingerprint out');
    }
    const url = resolveGatewayUrl(code ? code.url : options.url);
    const trustFingerprint = code?.tlsFingerprint ?? options.trustFingerprint;
    const tlsPin = await establishGatewayTrust({ url, stateDir: options.stateDir, insecure: options.insecure, stateDirFlag: options.stateDir, ...(trustFingerprint ? { trustFingerprint } : {}) });
    if (!code) {
      const { loadOrCreateIdentity } = await import('@tether/pairing');
      const identity = loadOrCreateIdentity({ dir: identityDir(options.stateDir), resetHint: 'tether node identity --reset' });
      return { url, deviceId: identity.deviceId, paired: readDeviceToken(options.stateDir, url) !== undefined };
    }
    const secret = code.bootstrapToken ?? code.token ?? code.password;
    options.say(`Pairing with ${url} using the setup code…`);
    const agent = await startNodeAgent({
      url,
      stateDir: options.stateDir,
      ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
      ...(tlsPin ? { tlsPin } : {}),
      ...(code.bootstrapToken ? { bootstrapToken: code.bootstrapToken } : secret ? { token: secret } : {}),
      log: (line) => options.say(line),
    });
    let waiting = true;
    try {
      await withDeadline(
        (async () => {
          await agent.ready();
          // The token is saved just after the hello: wait until it is on disk, so the service finds it.
          while (waiting && readDeviceToken(options.stateDir, url) === undefined) await new Promise((r) => setTimeout(r, 50));
        })(),
        options.timeoutMs,
        `the node was not paired within ${Math.round(options.timeoutMs / 1000)} s (approve it on the gateway host with \`tether devices approve <requestId>\`, or get a fresh code with \`tether devices setup-code\`), so no service was installed`,
      );
    } finally {
      waiting = false;
      await agent.close();
    }
    return { url, deviceId: agent.identity.deviceId, paired: true };
  } catch (error) {
    if (error instanceof SetupCodeInputError || error instanceof SetupCodeError || error instanceof UsageError) throw new PairOnceError(error.message, true);
    throw error;
  }
}

function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PairOnceError(message, false)), ms)))]).finally(() => clearTimeout(timer));
}
