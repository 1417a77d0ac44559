/**
 * `tether node run` without `--url`: find the gateway on the LAN. Returns the only gateway that
 * answered; asks which when several did (on a TTY), refuses and lists them otherwise; and when none
 * answered says why that may be (send errors seen, mDNS off on the gateway, firewall, other network).
 *
 * The result is a HINT (see ./discovery/browse.ts): connect to `gateway.url` / `gateway.addresses`, and
 * treat `gateway.fingerprint` as unverified — it may be shown for a first confirmation but must never
 * replace a pinned fingerprint (`fingerprintToTrust(pinned, gateway.fingerprint)`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createInterface } from 'node:readline';
import { browseGateways, type BrowseOptions, type BrowseResult, type DiscoveredGateway } from './discovery/browse.js';

export type GatewayDiscoveryErrorCode = 'NO_GATEWAY_FOUND' | 'SEVERAL_GATEWAYS' | 'NO_CHOICE';

export class GatewayDiscoveryError extends Error {
  override readonly name = 'GatewayDiscoveryError';
  constructor(
    readonly code: GatewayDiscoveryErrorCode,
    message: string,
    readonly gateways: DiscoveredGateway[] = [],
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

export interface DiscoverGatewayOptions extends BrowseOptions {
  /** Where the question is asked (default process.stdin / process.stderr); a prompt only on a TTY. */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream;
  /** Test seam: the browse. */
  browse?: (options: BrowseOptions) => Promise<BrowseResult>;
  /** Test seam: what this machine looks like (container, WSL), for the "why" hints. */
  localHints?: () => string[];
}

/** One line per gateway, for the prompt and the error listing; strings are already cleaned by browse. */
export function describeGateway(g: DiscoveredGateway): string {
  const where = g.addresses.length > 0 ? `${g.addresses.join(', ')} port ${g.port}` : `${g.host} port ${g.port} (no usable address)`;
  const tls = g.tls ? (g.fingerprint ? `TLS, fingerprint ${g.fingerprint.slice(0, 16)}… (unverified)` : 'TLS') : 'no TLS';
  const warn = g.conflicting ? ' — WARNING: conflicting answers for this name (a forged answer?)' : '';
  return `${g.name} — ${where} — ${tls} — ${g.protocol}${warn}`;
}

function defaultLocalHints(): string[] {
  const hints: string[] = [];
  try {
    if (existsSync('/.dockerenv') || existsSync('/run/.containerenv')) hints.push('this machine looks like a container: multicast rarely leaves a container network (use --url, or host networking)');
  } catch {
    /* ignore */
  }
  try {
    if (/microsoft|wsl/i.test(readFileSync('/proc/version', 'utf8'))) hints.push('this is WSL: its NAT-ed network does not receive LAN multicast (use --url, or mirrored networking)');
  } catch {
    /* not Linux */
  }
  return hints;
}

/** Why nothing was found, most specific first. */
export function explainNoneFound(result: BrowseResult, timeoutMs: number, localHints: string[] = []): string {
  const lines = [`No gateway answered on the LAN within ${Math.round(timeoutMs / 100) / 10} s${result.interfaces.length > 0 ? ` (asked on ${result.interfaces.join(', ')})` : ''}.`];
  for (const problem of result.problems) lines.push(`  - ${problem}`);
  for (const hint of localHints) lines.push(`  - ${hint}`);
  lines.push(
    '  - the gateway may not advertise: mDNS is off on a loopback-only bind, in containers, WSL and CI, or with --mdns off',
    '    (on the gateway: `tether gateway run --host 0.0.0.0 --mdns on`, then `tether gateway status` shows "Discovery: announced")',
    '  - a firewall may drop mDNS (UDP port 5353, group 224.0.0.251) on either machine',
    '  - mDNS does not cross routers or VLANs: both machines must be on the same network',
    '  Connect by address instead: tether node run --url ws://GATEWAY-HOST:18789',
  );
  return lines.join('\n');
}

/** What may be connected to: gateways with an address, a conflicting one split into its variants. */
export function candidates(gateways: readonly DiscoveredGateway[]): DiscoveredGateway[] {
  const list: DiscoveredGateway[] = [];
  for (const g of gateways) {
    if (!g.conflicting || !g.variants || g.variants.length === 0) {
      if (g.addresses.length > 0) list.push(g);
      continue;
    }
    for (const v of g.variants) {
      if (v.addresses.length === 0) continue;
      const address = v.addresses[0]!;
      const tls = g.tls || v.fingerprint !== undefined;
      const { variants: _variants, fingerprint: _fingerprint, from: _from, ...rest } = g;
      list.push({
        ...rest,
        host: v.host,
        port: v.port,
        addresses: v.addresses,
        ...(v.fingerprint ? { fingerprint: v.fingerprint } : {}),
        ...(v.from ? { from: v.from } : {}),
        tls,
        url: `${tls ? 'wss' : 'ws'}://${isIP(address) === 6 ? `[${address}]` : address}:${v.port}`,
        conflicting: true,
      });
    }
  }
  return list;
}

export async function discoverGateway(options: DiscoverGatewayOptions = {}): Promise<DiscoveredGateway> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const browse = options.browse ?? browseGateways;
  const result = await browse({ ...options, timeoutMs });
  // A conflicting entry (different answers for one name: a forged answer, or two gateways fighting over
  // it) is never picked on its own: each variant becomes a candidate, and a person must choose.
  const usable = candidates(result.gateways);
  if (usable.length === 0) {
    throw new GatewayDiscoveryError('NO_GATEWAY_FOUND', explainNoneFound(result, timeoutMs, (options.localHints ?? defaultLocalHints)()), result.gateways, result.problems);
  }
  if (usable.length === 1 && !usable[0]!.conflicting) return usable[0]!;

  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  const listing = usable.map((g, i) => `  ${i + 1}) ${describeGateway(g)}`).join('\n');
  if (input.isTTY !== true) {
    throw new GatewayDiscoveryError(
      'SEVERAL_GATEWAYS',
      `${usable.length} ${usable.some((g) => g.conflicting) ? 'candidates (conflicting answers for one name: a forged answer?)' : 'gateways answered'}; pick one with --url:\n${usable.map((g) => `  ${g.url}   ${describeGateway(g)}`).join('\n')}`,
      usable,
      result.problems,
    );
  }
  output.write(`${usable.length} gateways answered on the LAN (mDNS answers are hints; the fingerprint is checked when connecting):\n${listing}\n`);
  // One reader for every attempt: lines typed ahead are not lost between questions.
  const rl = createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      output.write(`Which one? [1-${usable.length}] `);
      const next = await lines.next();
      if (next.done) break;
      const pick = Number(String(next.value).trim());
      if (Number.isInteger(pick) && pick >= 1 && pick <= usable.length) return usable[pick - 1]!;
      output.write(`Type a number from 1 to ${usable.length}.\n`);
    }
  } finally {
    rl.close();
  }
  throw new GatewayDiscoveryError('NO_CHOICE', 'no gateway chosen; run again, or pick one with --url', usable, result.problems);
}
