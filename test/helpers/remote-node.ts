/**
 * Arguments for a node-agent (and the CLI) that reaches a gateway on another host, in one place.
 * The node-agent and the CLI are to refuse `ws://` to a non-loopback address unless `--insecure` is
 * given (issue 9); the flag is passed only when the built CLI knows it, so these tests run before and
 * after that change. When TLS arrives, this is where a `wss://` URL's pin flags go too.
 */
import { spawnSync } from 'node:child_process';
import { TETHER_BIN } from './processes.js';

const known = new Map<string, boolean>();

/** Does `tether <command…> --help` mention `flag`? Cached per command. */
export function cliKnowsFlag(command: string[], flag: string): boolean {
  const key = `${command.join(' ')} ${flag}`;
  let value = known.get(key);
  if (value === undefined) {
    const help = spawnSync(process.execPath, [TETHER_BIN, ...command, '--help'], { encoding: 'utf8', timeout: 10_000 });
    value = `${help.stdout ?? ''}${help.stderr ?? ''}`.includes(flag);
    known.set(key, value);
  }
  return value;
}

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** `--insecure` when `url` is plaintext to a non-loopback address and `command` takes the flag. */
function insecureFor(command: string[], url: string | undefined): string[] {
  if (!url || !url.startsWith('ws://') || isLoopbackUrl(url)) return [];
  return cliKnowsFlag(command, '--insecure') ? ['--insecure'] : [];
}

export interface RemoteNodeOptions {
  url: string;
  stateDir: string;
  displayName?: string;
  /** The gateway's certificate fingerprint (its `listening` line's `tlsFingerprint`), for a `wss://` URL. */
  trustFingerprint?: string;
  extra?: string[];
}

/** `tether node run …` for a node on another host than its gateway. */
export function remoteNodeArgs(options: RemoteNodeOptions): string[] {
  return [
    'node', 'run',
    '--url', options.url,
    '--state-dir', options.stateDir,
    ...(options.displayName ? ['--display-name', options.displayName] : []),
    ...insecureFor(['node', 'run'], options.url),
    ...(options.trustFingerprint && options.url.startsWith('wss://') ? ['--trust-fingerprint', options.trustFingerprint] : []),
    ...(options.extra ?? []),
  ];
}

/**
 * Flags for an operator command (`devices approve`, `nodes run`, …) run on the gateway's host with
 * the gateway's state dir; `gatewayUrl` is where that gateway listens (not loopback when bound to a LAN
 * address), for the `--insecure` decision.
 */
export function operatorArgs(command: string[], stateDir: string, gatewayUrl?: string): string[] {
  return ['--state-dir', stateDir, ...insecureFor(command, gatewayUrl)];
}
