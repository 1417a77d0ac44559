/**
 * Finding gateways on the LAN over mDNS/DNS-SD (`_tether-gw._tcp`, `_openclaw-gw._tcp`), for
 * `tether gateway discover` and `tether node run` without `--url`.
 *
 * Everything mDNS says is a HINT. Anyone on the LAN can answer for any name, and bonjour-service's
 * browser lets the last packet win (a forged answer rewrites SRV, addresses and TXT). So:
 *  - a result carries the addresses that were resolved (A/AAAA, or the answer's source address), and
 *    the connection goes there; `lanHost` from TXT is never used for routing;
 *  - an advertised `gatewayTlsSha256` is returned as `fingerprint` with `fingerprintVerified: false`.
 *    THE RULE: it may be offered to a person as the fingerprint to compare on a first connection, but it
 *    never replaces or overrides a pinned fingerprint (see `fingerprintToTrust`); only the TLS handshake
 *    against the pin authenticates a gateway;
 *  - when different answers arrive for one instance during a browse (a spoof, or two gateways fighting
 *    over a name), every variant is reported and the entry is marked `conflicting`.
 * Unusable data is dropped: ports outside 1–65535, IPv6 link-local addresses without a zone, loopback
 * addresses from a remote sender, non-UTF-8 TXT values, oversized strings.
 *
 * The library's browser sends one query and never expires entries, so a browse here re-queries every
 * second and each round uses a fresh browser; `watchGateways` reports a gateway gone when it is not
 * re-seen for a few rounds (or sends a goodbye).
 */
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export const GATEWAY_SERVICE_TYPES = ['tether-gw', 'openclaw-gw'] as const;
export type GatewayServiceType = (typeof GATEWAY_SERVICE_TYPES)[number];

export interface DiscoveredVariant {
  host: string;
  port: number;
  addresses: string[];
  fingerprint?: string;
  /** The address the answer came from. */
  from?: string;
}

export interface DiscoveredGateway {
  /** The DNS-SD instance name (without " (OpenClaw)" when both beacons of one Tether gateway were merged). */
  name: string;
  /** TXT `displayName`, cleaned; a label only. */
  displayName?: string;
  /** The SRV target (e.g. `pi.local`). Informational: connect to `addresses`. */
  host: string;
  /** Resolved, usable addresses, IPv4 first. Connect to these. */
  addresses: string[];
  /** The SRV port. */
  port: number;
  /** TXT `gatewayTls` (1/true/yes). */
  tls: boolean;
  /** TXT `gatewayTlsSha256`, 64 lowercase hex. UNVERIFIED: never let it replace a pin. */
  fingerprint?: string;
  /** Always false: mDNS cannot prove anything. */
  fingerprintVerified: false;
  /** `tether` when a `_tether-gw._tcp` beacon was seen, else `openclaw`. */
  protocol: 'tether' | 'openclaw';
  /** TXT `protocol` of a Tether beacon (the wire protocol version). */
  protocolVersion?: number;
  /** The service types this gateway answered on. */
  types: GatewayServiceType[];
  /** `ws://addr:port` or `wss://…` for the first address (a hint, like everything here). */
  url: string;
  /** Different answers were seen for this instance during the browse (a forged answer or a name fight). */
  conflicting: boolean;
  /** Every distinct answer, when `conflicting`. */
  variants?: DiscoveredVariant[];
  /** The address the (last) answer came from. */
  from?: string;
  lastSeenMs: number;
}

export interface BrowseResult {
  gateways: DiscoveredGateway[];
  /** The interfaces queried (`eth0 192.168.1.4`). */
  interfaces: string[];
  /** Why nothing may have been found: send errors (no multicast route, firewall), no interface… */
  problems: string[];
}

// ---- the slice of bonjour-service used here (tests inject fakes) ----

export interface RawService {
  name?: string;
  fqdn?: string;
  host?: string;
  port?: number;
  type?: string;
  addresses?: string[];
  rawTxt?: unknown;
  txt?: unknown;
  referer?: { address?: string };
}

export interface BrowserLike {
  on(event: 'up' | 'down' | 'srv-update' | 'txt-update', listener: (service: RawService) => void): unknown;
  update(): void;
  stop(): void;
}

export interface BrowseBonjourLike {
  server: { mdns: { on(event: string, listener: (...args: unknown[]) => void): unknown; query(name: string, type: string, callback: (error?: Error | null) => void): void } };
  find(options: { type: string; protocol?: 'tcp' }): BrowserLike;
  destroy(callback?: () => void): void;
}

export type BrowseBonjourFactory = (
  options: { interface: string; bind: string; port?: number },
  onError: (error: unknown) => void,
) => BrowseBonjourLike | Promise<BrowseBonjourLike>;

let modulePromise: Promise<new (options: Record<string, unknown>, onError?: (error: unknown) => void) => BrowseBonjourLike> | undefined;

/** Loads bonjour-service on first use only. */
export const bonjourBrowseFactory: BrowseBonjourFactory = async (options, onError) => {
  modulePromise ??= import('bonjour-service').then((loaded) => {
    const mod = ((loaded as { default?: unknown }).default ?? loaded) as { Bonjour?: unknown };
    if (typeof mod.Bonjour !== 'function') throw new Error('bonjour-service has an unexpected shape (expected 1.4.x)');
    return mod.Bonjour as new (options: Record<string, unknown>, onError?: (error: unknown) => void) => BrowseBonjourLike;
  });
  modulePromise.catch(() => {
    modulePromise = undefined;
  });
  const Bonjour = await modulePromise;
  return new Bonjour({ interface: options.interface, bind: options.bind, ...(options.port !== undefined ? { port: options.port } : {}) }, onError);
};

// ---- parsing what arrives (pure; tested with hostile inputs) ----

export const MAX_TXT_VALUE = 255;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * TXT strings → a key/value map. RFC 6763: split at the first '=', keys compared case-insensitively
 * (lowercased here), only the first occurrence of a key counts, a key without '=' is a flag (value '').
 * Values that are not valid UTF-8 or longer than 255 bytes are dropped, as are control characters in keys.
 */
export function parseTxt(raw: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!Array.isArray(raw)) return out;
  for (const item of raw.slice(0, 64)) {
    let bytes: Uint8Array;
    if (item instanceof Uint8Array) bytes = item;
    else if (typeof item === 'string') bytes = new TextEncoder().encode(item);
    else continue;
    if (bytes.length === 0 || bytes.length > 255) continue;
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      continue;
    }
    const eq = text.indexOf('=');
    const key = (eq === -1 ? text : text.slice(0, eq)).toLowerCase();
    if (!/^[\x21-\x3c\x3e-\x7e]{1,64}$/.test(key) || key in out) continue;
    out[key] = eq === -1 ? '' : text.slice(eq + 1);
  }
  return out;
}

export function normalizeFingerprint(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const hex = value.trim().replace(/^sha-?256[:=]?/i, '').replace(/[:\s-]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes)$/i.test(value.trim());
}

/** Controls and bidi overrides removed, whitespace collapsed, capped: names are shown to people. */
export function cleanLabel(text: string, max = 63): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ').replace(/\s+/g, ' ').trim();
  return [...cleaned].slice(0, max).join('');
}

/** The instance name from the full name, which may contain dots (the library's `name` cuts at the first). */
export function instanceFromFqdn(fqdn: string, type: string): string | undefined {
  const suffix = `._${type}._tcp.local`;
  const plain = fqdn.replace(/\.$/, '');
  if (!plain.toLowerCase().endsWith(suffix)) return undefined;
  const instance = plain.slice(0, -suffix.length).replace(/\\(.)/g, '$1');
  return instance.length > 0 ? instance : undefined;
}

/** Usable connection targets: IPv4 unicast; IPv6 global/ULA (link-local only with a zone); loopback only from loopback. */
export function usableAddresses(addresses: unknown, from?: string): string[] {
  const list = Array.isArray(addresses) ? addresses.filter((a): a is string => typeof a === 'string') : [];
  const fromLoopback = from !== undefined && (from.startsWith('127.') || from === '::1');
  const out: string[] = [];
  for (const raw of list.slice(0, 32)) {
    const address = raw.trim();
    const family = isIP(address.split('%')[0] ?? '');
    if (family === 4) {
      const [a] = address.split('.').map(Number) as [number];
      if (a === 0 || a >= 224) continue;
      if (a === 127 && !fromLoopback) continue;
    } else if (family === 6) {
      const lower = address.toLowerCase();
      if (/^fe[89ab]/.test(lower) && !lower.includes('%')) continue; // link-local without a zone: unusable
      if (lower.startsWith('ff') || lower === '::') continue;
      if (lower === '::1' && !fromLoopback) continue;
    } else continue;
    if (!out.includes(address)) out.push(address);
  }
  return out.sort((x, y) => (isIP(x) === 4 ? 0 : 1) - (isIP(y) === 4 ? 0 : 1));
}

interface Observation {
  type: GatewayServiceType;
  instance: string;
  host: string;
  port: number;
  addresses: string[];
  txt: Record<string, string>;
  from?: string;
  seenMs: number;
}

/** One raw service → an observation, or undefined when it is junk (port 0, no name, bad host). */
export function observe(raw: RawService, type: GatewayServiceType, now = Date.now()): Observation | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const port = raw.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const fqdn = typeof raw.fqdn === 'string' ? raw.fqdn : undefined;
  const instance = (fqdn && instanceFromFqdn(fqdn, type)) ?? (typeof raw.name === 'string' ? raw.name : undefined);
  if (!instance || instance.length > 255) return undefined;
  const host = typeof raw.host === 'string' ? raw.host.replace(/\.$/, '') : '';
  if (!host || host.length > 255 || /[\u0000-\u0020\u007f]/.test(host)) return undefined;
  const from = typeof raw.referer?.address === 'string' && isIP(raw.referer.address) ? raw.referer.address : undefined;
  let addresses = usableAddresses(raw.addresses, from);
  if (addresses.length === 0 && from) addresses = usableAddresses([from], from);
  return { type, instance, host, port, addresses, txt: parseTxt(raw.rawTxt), ...(from ? { from } : {}), seenMs: now };
}

const OPENCLAW_SUFFIX = / \(OpenClaw\)$/;

function mergeKey(o: Observation): string {
  // A Tether gateway's two beacons share host and port; the OpenClaw one carries " (OpenClaw)".
  return `${o.host.toLowerCase()}|${o.port}`;
}

/** Observations → gateways: the two beacons of one gateway merged, conflicting answers flagged. */
export function summarize(observations: readonly Observation[]): DiscoveredGateway[] {
  // First group by instance identity (type + instance) to find conflicting answers for one name.
  const byInstance = new Map<string, Observation[]>();
  for (const o of observations) {
    const key = `${o.type}|${o.instance.toLowerCase()}`;
    byInstance.set(key, [...(byInstance.get(key) ?? []), o]);
  }
  const gateways = new Map<string, DiscoveredGateway>();
  for (const list of byInstance.values()) {
    const last = list[list.length - 1]!;
    const variants = dedupeVariants(list);
    const conflicting = variants.length > 1;
    const fingerprint = normalizeFingerprint(last.txt.gatewaytlssha256);
    const tls = truthy(last.txt.gatewaytls) || fingerprint !== undefined;
    const protocolVersion = last.type === 'tether-gw' && /^\d{1,4}$/.test(last.txt.protocol ?? '') ? Number(last.txt.protocol) : undefined;
    const name = cleanLabel(last.instance, 63) || '(unnamed)';
    const displayName = last.txt.displayname !== undefined ? cleanLabel(last.txt.displayname, 63) || undefined : undefined;
    const addresses = last.addresses;
    const entry: DiscoveredGateway = {
      name,
      ...(displayName ? { displayName } : {}),
      host: last.host,
      addresses,
      port: last.port,
      tls,
      ...(fingerprint ? { fingerprint } : {}),
      fingerprintVerified: false,
      protocol: last.type === 'tether-gw' ? 'tether' : 'openclaw',
      ...(protocolVersion !== undefined ? { protocolVersion } : {}),
      types: [last.type],
      url: addresses[0] ? `${tls ? 'wss' : 'ws'}://${isIP(addresses[0]) === 6 ? `[${addresses[0]}]` : addresses[0]}:${last.port}` : '',
      conflicting,
      ...(conflicting ? { variants } : {}),
      ...(last.from ? { from: last.from } : {}),
      lastSeenMs: Math.max(...list.map((o) => o.seenMs)),
    };
    const key = conflicting ? `conflict|${last.type}|${last.instance}` : mergeKey(last);
    const existing = gateways.get(key);
    if (!existing) {
      gateways.set(key, entry);
      continue;
    }
    // Merge the second beacon of the same gateway: the Tether one names it and decides the protocol.
    const tether = entry.protocol === 'tether' ? entry : existing;
    const other = tether === entry ? existing : entry;
    gateways.set(key, {
      ...tether,
      name: tether.protocol === 'tether' ? tether.name : tether.name.replace(OPENCLAW_SUFFIX, ''),
      types: [...new Set([...tether.types, ...other.types])],
      addresses: [...new Set([...tether.addresses, ...other.addresses])],
      tls: tether.tls || other.tls,
      // Two beacons from one host advertising different fingerprints: keep none, say so.
      ...(tether.fingerprint && other.fingerprint && tether.fingerprint !== other.fingerprint
        ? { conflicting: true, variants: [...(tether.variants ?? variantOf(tether)), ...(other.variants ?? variantOf(other))] }
        : { fingerprint: tether.fingerprint ?? other.fingerprint }),
      lastSeenMs: Math.max(tether.lastSeenMs, other.lastSeenMs),
    });
  }
  return [...gateways.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function variantOf(g: DiscoveredGateway): DiscoveredVariant[] {
  return [{ host: g.host, port: g.port, addresses: g.addresses, ...(g.fingerprint ? { fingerprint: g.fingerprint } : {}), ...(g.from ? { from: g.from } : {}) }];
}

function dedupeVariants(list: readonly Observation[]): DiscoveredVariant[] {
  const seen = new Map<string, DiscoveredVariant>();
  for (const o of list) {
    const fingerprint = normalizeFingerprint(o.txt.gatewaytlssha256);
    const key = `${o.host.toLowerCase()}|${o.port}|${fingerprint ?? ''}|${[...o.addresses].sort().join(',')}`;
    seen.set(key, { host: o.host, port: o.port, addresses: o.addresses, ...(fingerprint ? { fingerprint } : {}), ...(o.from ? { from: o.from } : {}) });
  }
  return [...seen.values()];
}

/**
 * The pin rule, in one place: a pinned fingerprint always wins; an advertised one is only a candidate a
 * person (or a setup code) must confirm; a mismatch is reported, never acted on.
 */
export function fingerprintToTrust(pinned: string | undefined, advertised: string | undefined): {
  trust: string | undefined;
  source: 'pin' | 'none';
  candidate?: string;
  mismatch: boolean;
} {
  const pin = normalizeFingerprint(pinned);
  const ad = normalizeFingerprint(advertised);
  if (pin) return { trust: pin, source: 'pin', mismatch: ad !== undefined && ad !== pin, ...(ad && ad !== pin ? { candidate: ad } : {}) };
  return { trust: undefined, source: 'none', mismatch: false, ...(ad ? { candidate: ad } : {}) };
}

// ---- browsing ----

export interface BrowseOptions {
  /** How long to listen (default 3000 ms). */
  timeoutMs?: number;
  /** Interface name or IPv4 address; default every non-internal IPv4 interface (at most 4). */
  interface?: string;
  /** Re-query interval within a browse (default 1000 ms). */
  requeryMs?: number;
  types?: readonly GatewayServiceType[];
  factory?: BrowseBonjourFactory;
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** The mDNS UDP port (tests). */
  mdnsPort?: number;
}

interface Querier {
  label: string;
  instance: BrowseBonjourLike;
}

function pickBrowseInterfaces(wanted: string | undefined, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): { list: Array<{ name: string; address: string }>; problem?: string } {
  const all: Array<{ name: string; address: string }> = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    const v4 = (infos ?? []).find((info) => info.family === 'IPv4' || (info.family as unknown) === 4);
    if (v4) all.push({ name, address: v4.address });
  }
  if (wanted) {
    const hit = all.find((c) => c.name === wanted || c.address === wanted);
    return hit ? { list: [hit] } : { list: [], problem: `interface "${wanted}" has no IPv4 address here` };
  }
  const external = all.filter((c) => !c.address.startsWith('127.'));
  if (external.length === 0) return { list: [], problem: 'no network interface with an IPv4 address besides loopback (not on a LAN?)' };
  return { list: external.slice(0, 4) };
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}

/** Why a send failed, in words a person can act on. */
export function explainSendError(error: unknown, iface: string): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENETUNREACH') return `cannot send multicast on ${iface} (ENETUNREACH: no multicast route)`;
  if (code === 'EPERM' || code === 'EACCES') return `multicast on ${iface} was refused (${code}: a firewall or sandbox)`;
  if (code === 'EADDRINUSE') return `UDP port 5353 is taken on ${iface} and cannot be shared (EADDRINUSE)`;
  if (code === 'EADDRNOTAVAIL') return `${iface} is not usable for multicast (EADDRNOTAVAIL)`;
  return `mDNS on ${iface}: ${errorText(error)}`;
}

/**
 * A continuous browse: re-queries every `requeryMs`, calls `onChange` with the current list when a
 * gateway appears, changes or goes (a goodbye, or not re-seen for `missAfterMs`).
 */
export interface GatewayWatch {
  list(): DiscoveredGateway[];
  problems(): string[];
  interfaces(): string[];
  stop(): Promise<void>;
}

export async function watchGateways(
  options: BrowseOptions & { missAfterMs?: number; onChange?: (gateways: DiscoveredGateway[]) => void },
): Promise<GatewayWatch> {
  const types = [...(options.types ?? GATEWAY_SERVICE_TYPES)];
  const factory = options.factory ?? bonjourBrowseFactory;
  const requeryMs = options.requeryMs ?? 1000;
  const missAfterMs = options.missAfterMs ?? Math.max(3 * requeryMs, 3000);
  const problems: string[] = [];
  const addProblem = (text: string) => {
    if (!problems.includes(text) && problems.length < 20) problems.push(text);
  };
  let interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = {};
  try {
    interfaces = (options.interfaces ?? networkInterfaces)();
  } catch (error) {
    addProblem(`cannot list network interfaces: ${errorText(error)}`);
  }
  const picked = pickBrowseInterfaces(options.interface, interfaces);
  if (picked.problem) addProblem(picked.problem);

  const queriers: Querier[] = [];
  for (const iface of picked.list) {
    const label = `${iface.name} ${iface.address}`;
    try {
      const instance = await factory({ interface: iface.address, bind: '0.0.0.0', ...(options.mdnsPort !== undefined ? { port: options.mdnsPort } : {}) }, (error) =>
        addProblem(explainSendError(error, label)),
      );
      instance.server.mdns.on('error', (error: unknown) => addProblem(explainSendError(error, label)));
      instance.server.mdns.on('warning', () => {});
      queriers.push({ label, instance });
    } catch (error) {
      addProblem(`cannot start mDNS on ${label}: ${errorText(error)}`);
    }
  }

  // Observations per (type|instance) kept while fresh; conflicting variants seen within missAfterMs.
  let observations: Observation[] = [];
  let lastJson = '';
  const emit = () => {
    if (!options.onChange) return;
    const list = summarize(observations);
    const json = JSON.stringify(list.map(({ lastSeenMs: _ignored, ...rest }) => rest));
    if (json === lastJson) return;
    lastJson = json;
    try {
      options.onChange(list);
    } catch {
      /* the caller's problem, not the browse's */
    }
  };
  const record = (raw: RawService, type: GatewayServiceType) => {
    const o = observe(raw, type);
    if (!o) return;
    observations.push(o);
    if (observations.length > 2000) observations = observations.slice(-1000);
    emit();
  };
  const forget = (raw: RawService, type: GatewayServiceType) => {
    const fqdn = typeof raw?.fqdn === 'string' ? raw.fqdn : undefined;
    const instance = (fqdn && instanceFromFqdn(fqdn, type)) ?? raw?.name;
    if (!instance) return;
    observations = observations.filter((o) => !(o.type === type && o.instance.toLowerCase() === String(instance).toLowerCase()));
    emit();
  };

  // A fresh browser per round: the library only emits for new or changed answers, so a browser that
  // lives on cannot tell "still there" from "gone". Each round's `up`s are the gateways seen again.
  let browsers: BrowserLike[] = [];
  const round = () => {
    for (const browser of browsers) {
      try {
        browser.stop();
      } catch {
        /* ignore */
      }
    }
    browsers = [];
    for (const q of queriers) {
      for (const type of types) {
        try {
          const browser = q.instance.find({ type, protocol: 'tcp' });
          browser.on('up', (s) => record(s, type));
          browser.on('srv-update', (s) => record(s, type));
          browser.on('txt-update', (s) => record(s, type));
          browser.on('down', (s) => forget(s, type));
          browsers.push(browser);
          // The browser's own query has no callback; one more with a callback tells us if sends work.
          q.instance.server.mdns.query(`_${type}._tcp.local`, 'PTR', (error) => {
            if (error) addProblem(explainSendError(error, q.label));
          });
        } catch (error) {
          addProblem(`mDNS browse on ${q.label}: ${errorText(error)}`);
        }
      }
    }
    const cutoff = Date.now() - missAfterMs;
    const before = observations.length;
    observations = observations.filter((o) => o.seenMs >= cutoff);
    if (observations.length !== before) emit();
  };
  round();
  const timer = setInterval(round, requeryMs);
  timer.unref?.();

  let stopped: Promise<void> | undefined;
  return {
    list: () => summarize(observations.filter((o) => o.seenMs >= Date.now() - missAfterMs)),
    problems: () => [...problems],
    interfaces: () => queriers.map((q) => q.label),
    stop: () => {
      stopped ??= (async () => {
        clearInterval(timer);
        for (const browser of browsers) {
          try {
            browser.stop();
          } catch {
            /* ignore */
          }
        }
        await Promise.all(
          queriers.map(
            (q) =>
              new Promise<void>((resolve) => {
                const t = setTimeout(resolve, 500);
                t.unref?.();
                try {
                  q.instance.destroy(() => {
                    clearTimeout(t);
                    resolve();
                  });
                } catch {
                  clearTimeout(t);
                  resolve();
                }
              }),
          ),
        );
      })();
      return stopped;
    },
  };
}

/** Listens for `timeoutMs` (re-querying every second) and returns what answered. */
export async function browseGateways(options: BrowseOptions = {}): Promise<BrowseResult> {
  const timeoutMs = Math.max(100, Math.min(options.timeoutMs ?? 3000, 120_000));
  const watch = await watchGateways({ ...options, missAfterMs: timeoutMs + 1000 });
  await new Promise((resolve) => setTimeout(resolve, timeoutMs));
  const gateways = watch.list();
  await watch.stop();
  return { gateways, interfaces: watch.interfaces(), problems: watch.problems() };
}
