/**
 * Which certificate a client trusts for a gateway, decided before anything secret is sent:
 * plaintext `ws://` only to loopback (or with --insecure), a stored pin, an explicit
 * `--trust-fingerprint`, or trust on first use confirmed by a person. Every check that needs the
 * network is a TLS probe that sends no application byte.
 */
import { isIP } from 'node:net';
import https from 'node:https';
import { formatFingerprint, normalizeFingerprint, PIN_MISMATCH, pinnedTlsOptions, probeCertificate, tlsEndpoint, type TlsPin } from './tls-pin.js';
import { followRotations } from './tls-rotation.js';

export const TLS_TRUST_REQUIRED = 'TLS_TRUST_REQUIRED';
export const INSECURE_TRANSPORT = 'INSECURE_TRANSPORT';

export class TlsTrustError extends Error {
  constructor(
    readonly code: typeof TLS_TRUST_REQUIRED | typeof PIN_MISMATCH | typeof INSECURE_TRANSPORT | 'TLS_PROBE_FAILED' | 'USAGE',
    message: string,
    readonly fingerprint?: string,
  ) {
    super(message);
    this.name = 'TlsTrustError';
  }
}

/** Where pins live; `@tether/pairing`'s TlsPinStore is the real one. */
export interface PinStoreLike {
  get(url: string): TlsPin | undefined;
  set(url: string, pin: TlsPin): Promise<void>;
}

export function isLoopbackUrlHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Refuses `ws://` to anything but loopback unless the caller asked for it (`--insecure`). */
export function checkPlaintextAllowed(url: string, insecure: boolean, command: string): void {
  const parsed = new URL(url);
  if (parsed.protocol !== 'ws:' || insecure || isLoopbackUrlHost(parsed.hostname)) return;
  const secure = `wss://${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  throw new TlsTrustError(
    INSECURE_TRANSPORT,
    `refusing plaintext ${url}: on a network anyone can read and change ws:// traffic, tokens included. ` +
      `Use ${secure} (a gateway bound beyond loopback serves TLS by default), or pass --insecure to ${command} if you accept that risk.`,
  );
}

export interface ResolveTlsPinOptions {
  url: string;
  store: PinStoreLike;
  /** `--trust-fingerprint`: pin this certificate if the gateway presents it. */
  trustFingerprint?: string;
  /** Asks a person; absent when there is no terminal. Resolves true to trust. */
  confirm?: (fingerprint: string) => Promise<boolean>;
  /** Where to show the fingerprint before asking (stderr). */
  say: (line: string) => void;
  /** The command to print for pinning without a prompt, e.g. `tether node run --url …`. */
  pinCommand: string;
  /** The command that removes a pin, e.g. `tether node trust --reset --url …`. */
  resetCommand: string;
  probeTimeoutMs?: number;
}

async function probe(url: string, timeoutMs?: number) {
  try {
    return await probeCertificate(url, timeoutMs);
  } catch (error) {
    throw new TlsTrustError('TLS_PROBE_FAILED', `cannot reach the gateway at ${url} for a TLS handshake: ${(error as Error).message}`);
  }
}

/**
 * The gateway's signed rotation statements, read over a connection that accepts only the certificate
 * it just presented and sends nothing but this GET: no token, no key. Their signatures, not this
 * connection, are what is trusted.
 */
function fetchRotations(url: string, presented: TlsPin): Promise<unknown> {
  const endpoint = tlsEndpoint(url);
  return new Promise((resolve, reject) => {
    const request = https.get(
      { host: endpoint.host, port: endpoint.port, ...(endpoint.servername ? { servername: endpoint.servername } : {}), path: '/tls/rotations', ...pinnedTlsOptions(presented), timeout: 5_000, agent: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > 512 * 1024) request.destroy(new Error('rotation statements over 512 KiB'));
        });
        response.on('end', () => {
          try {
            resolve(response.statusCode === 200 ? (JSON.parse(body) as { rotations?: unknown }).rotations : undefined);
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer from /tls/rotations')));
    // `timeout` is per idle gap: a server trickling bytes must not stall the pin decision for ever.
    const deadline = setTimeout(() => request.destroy(new Error('/tls/rotations took over 8 s')), 8_000);
    request.on('close', () => clearTimeout(deadline));
    request.on('error', reject);
  });
}

function changed(url: string, old: string, presented: string, resetCommand: string): TlsTrustError {
  return new TlsTrustError(
    PIN_MISMATCH,
    `${PIN_MISMATCH}: the gateway at ${url} now presents certificate\n  ${formatFingerprint(presented)}\nbut this machine pinned\n  ${formatFingerprint(old)}\n` +
      'Nothing was sent, and no rotation signed by the pinned certificate leads to it. Either the gateway was reinstalled or its state dir lost (compare the fingerprint it prints at start), or someone is intercepting the connection. ' +
      `If the change is expected, re-pin with: ${resetCommand}, then connect again with --trust-fingerprint ${presented}`,
    presented,
  );
}

/** The pin to connect with, for a `wss://` URL; establishes (and stores) one if there is none. */
export async function resolveTlsPin(options: ResolveTlsPinOptions): Promise<TlsPin> {
  const { url, store } = options;
  const wanted = options.trustFingerprint === undefined ? undefined : normalizeFingerprint(options.trustFingerprint);
  if (options.trustFingerprint !== undefined && !wanted) {
    throw new TlsTrustError('USAGE', `--trust-fingerprint takes the SHA-256 of the gateway's certificate (64 hex digits, colons and spaces allowed), got "${options.trustFingerprint}"`);
  }
  const stored = store.get(url);
  if (stored) {
    if (wanted && wanted !== stored.fingerprint) {
      throw new TlsTrustError(
        PIN_MISMATCH,
        `${url} is pinned to ${formatFingerprint(stored.fingerprint)}, not to the --trust-fingerprint given (${formatFingerprint(wanted)}). ` +
          `A pin is never replaced silently: run ${options.resetCommand} first if the gateway's certificate really changed.`,
      );
    }
    // Checked here too (the pinned handshake would refuse anyway) to say what changed and how to re-pin.
    const presented = await probe(url, options.probeTimeoutMs);
    if (presented.fingerprint !== stored.fingerprint) {
      // A rotation the pinned key signed is followed; anything else is a hard stop.
      const followed = followRotations(stored.certPem, presented.fingerprint, await fetchRotations(url, presented).catch(() => undefined));
      if (!followed) throw changed(url, stored.fingerprint, presented.fingerprint, options.resetCommand);
      await store.set(url, followed);
      options.say(`the gateway at ${url} rotated its certificate, signed by the one pinned here: now pinned to ${formatFingerprint(followed.fingerprint)}`);
      return followed;
    }
    return { fingerprint: stored.fingerprint, certPem: stored.certPem };
  }
  const presented = await probe(url, options.probeTimeoutMs);
  if (wanted) {
    if (presented.fingerprint !== wanted) {
      throw new TlsTrustError(
        PIN_MISMATCH,
        `${PIN_MISMATCH}: the gateway at ${url} presents certificate ${formatFingerprint(presented.fingerprint)}, not the --trust-fingerprint ${formatFingerprint(wanted)}. ` +
          'Nothing was sent. Check the fingerprint the gateway prints at start.',
        presented.fingerprint,
      );
    }
    await store.set(url, presented);
    options.say(`pinned the gateway certificate for ${url}: ${formatFingerprint(presented.fingerprint)}`);
    return presented;
  }
  options.say(`the gateway at ${url} is not known to this machine. Its TLS certificate's SHA-256 fingerprint is:`);
  options.say(`  ${formatFingerprint(presented.fingerprint)}`);
  options.say('Compare it with the one the gateway printed when it started (`[gateway] TLS certificate SHA-256: …`).');
  if (options.confirm && (await options.confirm(presented.fingerprint))) {
    await store.set(url, presented);
    options.say(`pinned ${formatFingerprint(presented.fingerprint)} for ${url}`);
    return presented;
  }
  throw new TlsTrustError(
    TLS_TRUST_REQUIRED,
    `not connecting to an unconfirmed gateway at ${url} (certificate ${formatFingerprint(presented.fingerprint)}); nothing was sent. ` +
      `If that is the fingerprint the gateway printed, pin it with:\n  ${options.pinCommand} --trust-fingerprint ${presented.fingerprint}`,
    presented.fingerprint,
  );
}

/** A yes/no question on the terminal (stdin/stderr), for trust on first use. */
export async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(question);
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export function terminalConfirm(): ((fingerprint: string) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return () => askOnTerminal('Trust this gateway and pin its certificate? Type "yes" to continue: ');
}
