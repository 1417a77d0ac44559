/**
 * The gateway's mDNS beacon, supervised. bonjour-service fails quietly (`up` even when every send
 * failed, a name conflict only `console.log`ged, no `error` listener on its socket), and OpenClaw's
 * history shows what an unsupervised responder does to a gateway (crash loops, thousands of restarts,
 * rename storms). So here:
 *  - nothing mDNS does can throw out of this module or reject unhandled: every callback is guarded;
 *  - the beacon binds `{interface: <own IPv4>, bind: '0.0.0.0'}` on one interface, so multicast is
 *    actually received and sends do not depend on a multicast route;
 *  - the name is probed here (not by the library, whose probe sends goodbyes for the other host's
 *    name when it loses); a conflict renames `name (2)` … up to a cap, then stops with the reason;
 *  - a failed cycle is retried with backoff, a bounded number of times, then the state is `failed`;
 *  - `close()` sends goodbyes (TTL 0) and releases the socket.
 * The state (`announced`, `failed: …`, `disabled: …`) is what `health`, `status` and the log show.
 */
import { hostname as osHostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { Logger } from '../log.js';
import { bonjourServiceFactory, type BonjourFactory, type BonjourLike, type MdnsPacket } from './bonjour-factory.js';
import type { MdnsMode } from './discovery-config.js';
import { autoDisabledReason, isLoopbackAddress, pickInterface, realProbe, type EnvironmentProbe, type InterfaceChoice } from './environment.js';
import {
  buildTxt,
  hostLabel as makeHostLabel,
  instanceName,
  normalizeFingerprint,
  openclawInstanceName,
  OPENCLAW_SERVICE_TYPE,
  renamedInstance,
  SERVICE_TYPES,
  type ServiceType,
} from './txt.js';

export type DiscoveryStateName = 'starting' | 'announced' | 'failed' | 'disabled' | 'closed';

export interface DiscoveryState {
  state: DiscoveryStateName;
  /** Why it failed or is disabled (also set while `starting` after a failed cycle: the last error). */
  reason?: string;
  /** The instance name in use (after any rename). */
  name?: string;
  /** `_tether-gw._tcp`, `_openclaw-gw._tcp`. */
  services: string[];
  /** `eth0 192.168.1.4`. */
  interface?: string;
  port: number;
  tls: boolean;
  restarts: number;
  renames: number;
  /** When the state last changed (ms since the epoch). */
  sinceMs: number;
}

export interface DiscoveryHandle {
  state(): DiscoveryState;
  /** Goodbyes, then the socket is released. Never rejects; safe to call twice. */
  close(): Promise<void>;
}

export interface DiscoveryTiming {
  /** Between the probe's three queries (RFC 6762: 250 ms). */
  probeIntervalMs: number;
  /** How long to wait for the library's `up` after publishing. */
  upTimeoutMs: number;
  /** First retry delay after a failed cycle; doubled each time. */
  retryBaseMs: number;
  /** After a rename, before probing the new name. */
  renameDelayMs: number;
  /** How often the chosen interface's address is re-checked. */
  watchdogMs: number;
  /** How long `close()` waits for the goodbyes to be sent. */
  goodbyeTimeoutMs: number;
}

export const DEFAULT_TIMING: DiscoveryTiming = {
  probeIntervalMs: 250,
  upTimeoutMs: 10_000,
  retryBaseMs: 2_000,
  renameDelayMs: 1_000,
  watchdogMs: 30_000,
  goodbyeTimeoutMs: 1_000,
};

/** Failed cycles in a row before giving up. */
export const MAX_CONSECUTIVE_FAILURES = 3;
/** Restarts of any kind within RESTART_WINDOW_MS before giving up. */
export const MAX_RESTARTS_IN_WINDOW = 5;
export const RESTART_WINDOW_MS = 30 * 60_000;
/** Renames after conflicts before giving up (OpenClaw users saw suffixes up to 999). */
export const MAX_RENAMES = 5;

export interface DiscoveryOptions {
  /** The port the gateway listens on (WS + HTTP). */
  port: number;
  /** The address the gateway is bound to (config.host); loopback means no beacon. Default `0.0.0.0`. */
  host?: string;
  /** When TLS is on: the certificate's SHA-256 (hex, colons allowed). */
  tls?: { fingerprint: string };
  /** The instance name; default the host name's first label. */
  name?: string;
  /** Interface name or IPv4 address to advertise on. */
  interface?: string;
  /** `auto` (default), `on` (also in containers/WSL/CI), `off`. */
  mode?: MdnsMode;
  log: Logger;
  /** Which beacons (default both). */
  services?: readonly ServiceType[];
  // Seams for tests.
  factory?: BonjourFactory;
  environment?: EnvironmentProbe;
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  hostname?: string;
  /** The mDNS UDP port (tests in a namespace may use another). */
  mdnsPort?: number;
  timing?: Partial<DiscoveryTiming>;
}

/** `announced`, `failed: <reason>`, `disabled: <why>`: the one-line form for logs and tables. */
export function describeDiscoveryState(state: DiscoveryState | undefined): string {
  if (!state) return 'not configured';
  switch (state.state) {
    case 'announced':
      return `announced as "${state.name}" on ${state.interface} (${state.services.join(', ')})`;
    case 'starting':
      return state.reason ? `starting (retrying after: ${state.reason})` : 'starting';
    case 'failed':
      return `failed: ${state.reason ?? 'unknown error'}`;
    case 'disabled':
      return `disabled: ${state.reason ?? 'off'}`;
    case 'closed':
      return 'closed';
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}

class CycleError extends Error {
  constructor(
    message: string,
    /** No point retrying (a name that cannot be had). */
    readonly final = false,
  ) {
    super(message);
  }
}

const sleep = (ms: number, signal: { closed: boolean }, timers: Set<NodeJS.Timeout>) =>
  new Promise<void>((resolve) => {
    if (signal.closed) return resolve();
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timer.unref?.();
    timers.add(timer);
  });

function fqdn(name: string, type: string): string {
  return `${name.replace(/\./g, '-')}._${type}._tcp.local`;
}

/** Lowercased, trailing dot and DNS escapes of dots removed, for comparing names the way dns-equal does. */
function sameName(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.replace(/\.$/, '').toLowerCase() === b.toLowerCase();
}

/** Starts the beacon (or decides not to) and returns at once; the work happens in the background. */
export function startDiscovery(options: DiscoveryOptions): DiscoveryHandle {
  const timing: DiscoveryTiming = { ...DEFAULT_TIMING, ...options.timing };
  const log = options.log;
  const types = [...(options.services ?? SERVICE_TYPES)];
  const services = types.map((type) => `_${type}._tcp`);
  const tls = options.tls !== undefined;
  const mode = options.mode ?? 'auto';
  let current: DiscoveryState = { state: 'starting', services, port: options.port, tls, restarts: 0, renames: 0, sinceMs: Date.now() };
  const signal = { closed: false };
  const timers = new Set<NodeJS.Timeout>();
  let bonjour: BonjourLike | undefined;
  let wakeWatchdog: ((reason: string) => void) | undefined;

  const set = (next: Partial<DiscoveryState> & { state: DiscoveryStateName }) => {
    const changed = next.state !== current.state || next.reason !== current.reason;
    current = { ...current, reason: undefined, ...next, sinceMs: changed ? Date.now() : current.sinceMs };
  };

  const disable = (reason: string): DiscoveryHandle => {
    set({ state: 'disabled', reason });
    log.info(`mDNS ${describeDiscoveryState(current)}`);
    return { state: () => ({ ...current }), close: async () => {} };
  };

  if (mode === 'off') return disable('off by configuration (discovery.mdns "off" or --mdns off)');
  const bindHost = options.host ?? '0.0.0.0';
  if (isLoopbackAddress(bindHost)) {
    return disable(`the gateway listens on ${bindHost} only, which no other machine can reach (bind with --host 0.0.0.0 or a LAN address)`);
  }
  if (mode === 'auto') {
    const why = autoDisabledReason(options.environment ?? realProbe);
    if (why) return disable(`${why}; use --mdns on or discovery.mdns "on" to advertise anyway`);
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    return disable(`no port to advertise (${options.port})`);
  }
  const fingerprint = options.tls ? normalizeFingerprint(options.tls.fingerprint) : undefined;
  if (options.tls && !fingerprint) log.warn('mDNS: the TLS fingerprint is not a SHA-256 in hex; the beacon says TLS without gatewayTlsSha256');

  const factory = options.factory ?? bonjourServiceFactory;
  const hostname = options.hostname ?? safeHostname();
  const label = makeHostLabel(hostname);
  const host = `${label}.local`;
  let baseName = instanceName(options.name, hostname);
  let name = baseName;
  const restartTimes: number[] = [];

  const teardown = async (goodbye: boolean): Promise<void> => {
    const instance = bonjour;
    bonjour = undefined;
    if (!instance) return;
    await new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(finish, timing.goodbyeTimeoutMs);
      timer.unref?.();
      const destroy = () => {
        try {
          instance.destroy(finish);
        } catch (error) {
          log.debug(`mDNS: destroy: ${errorText(error)}`);
          finish();
        }
      };
      if (!goodbye) return destroy();
      try {
        instance.unpublishAll(destroy);
      } catch (error) {
        log.debug(`mDNS: goodbye: ${errorText(error)}`);
        destroy();
      }
    });
  };

  /** Three ANY queries for each of our names; true when anyone else answers for one of them. */
  const probe = (instance: BonjourLike, names: string[]): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      const mdns = instance.server.mdns;
      let settled = false;
      const finish = (error: Error | undefined, conflict: boolean) => {
        if (settled) return;
        settled = true;
        try {
          mdns.removeListener('response', onResponse);
        } catch {
          /* ignore */
        }
        if (error) reject(error);
        else resolve(conflict);
      };
      const onResponse = (packet: MdnsPacket) => {
        try {
          const records = [...(packet?.answers ?? []), ...(packet?.additionals ?? [])];
          if (records.some((record) => (record?.ttl ?? 1) > 0 && names.some((n) => sameName(record?.name, n)))) finish(undefined, true);
        } catch {
          /* a malformed packet is not a conflict */
        }
      };
      mdns.on('response', onResponse);
      let sent = 0;
      const send = () => {
        if (settled) return;
        if (signal.closed) return finish(new CycleError('closed'), false);
        let pending = names.length;
        for (const n of names) {
          try {
            mdns.query(n, 'ANY', (error) => {
              if (error) return finish(new CycleError(`cannot send multicast from ${current.interface}: ${errorText(error)}`), false);
              if (--pending > 0) return;
              sent++;
              const timer = setTimeout(() => (sent < 3 ? send() : finish(undefined, false)), timing.probeIntervalMs);
              timer.unref?.();
              timers.add(timer);
            });
          } catch (error) {
            return finish(new CycleError(`mDNS query failed: ${errorText(error)}`), false);
          }
        }
      };
      send();
    });

  /** One full cycle: socket, probe (with renames), publish, wait for `up`. Resolves once announced. */
  const cycle = async (iface: InterfaceChoice): Promise<void> => {
    let socketError: ((error: unknown) => void) | undefined;
    const failures = new Promise<never>((_, reject) => {
      socketError = (error) => reject(new CycleError(`mDNS socket: ${errorText(error)}`));
    });
    failures.catch(() => {});
    const onError = (error: unknown) => {
      log.debug(`mDNS error: ${errorText(error)}`);
      socketError?.(error);
      wakeWatchdog?.(`mDNS socket: ${errorText(error)}`);
    };
    let warnings = 0;
    const onWarning = (error: unknown) => {
      // Decode errors from junk packets, membership retries: noisy, harmless; kept at debug, counted.
      if (++warnings <= 5) log.debug(`mDNS warning: ${errorText(error)}`);
    };
    let instance: BonjourLike;
    try {
      instance = await factory({ interface: iface.address, bind: '0.0.0.0', port: options.mdnsPort, addresses: [iface.address], host }, onError);
    } catch (error) {
      throw new CycleError(`cannot start mDNS: ${errorText(error)}`);
    }
    bonjour = instance;
    try {
      instance.server.mdns.on('error', onError);
      instance.server.mdns.on('warning', onWarning);
    } catch (error) {
      throw new CycleError(`cannot listen for mDNS errors: ${errorText(error)}`);
    }
    if (signal.closed) return;

    const tried: string[] = [];
    for (;;) {
      const names = types.map((type) => fqdn(type === OPENCLAW_SERVICE_TYPE ? openclawInstanceName(name) : name, type));
      const conflict = await Promise.race([probe(instance, names), failures]);
      if (signal.closed) return;
      if (!conflict) break;
      tried.push(name);
      if (current.renames >= MAX_RENAMES) {
        throw new CycleError(
          `name conflict: ${tried.map((n) => `"${n}"`).join(', ')} are already in use on the network; set discovery.name to a unique name`,
          true,
        );
      }
      const next = renamedInstance(baseName, current.renames + 2);
      log.warn(`mDNS: "${name}" is already in use on the network; trying "${next}"`);
      name = next;
      current = { ...current, renames: current.renames + 1, name };
      await sleep(timing.renameDelayMs, signal, timers);
      if (signal.closed) return;
    }

    const ups: Promise<void>[] = [];
    for (const type of types) {
      const displayName = name;
      const publishedName = type === OPENCLAW_SERVICE_TYPE ? openclawInstanceName(name) : name;
      const txt = buildTxt({ displayName, hostLabel: label, port: options.port, ...(fingerprint ? { tlsFingerprint: fingerprint } : {}), tls }, type);
      let service;
      try {
        service = instance.publish({ name: publishedName, type, port: options.port, host, txt, probe: false, disableIPv6: true });
      } catch (error) {
        throw new CycleError(`cannot publish _${type}._tcp: ${errorText(error)}`);
      }
      ups.push(
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new CycleError(`_${type}._tcp was not announced within ${timing.upTimeoutMs} ms`)), timing.upTimeoutMs);
          timer.unref?.();
          timers.add(timer);
          try {
            service.on('up', () => {
              clearTimeout(timer);
              resolve();
            });
            service.on('error', (error: unknown) => {
              clearTimeout(timer);
              reject(new CycleError(`_${type}._tcp: ${errorText(error)}`));
            });
          } catch (error) {
            clearTimeout(timer);
            reject(new CycleError(`_${type}._tcp: ${errorText(error)}`));
          }
        }),
      );
    }
    await Promise.race([Promise.all(ups), failures]);
  };

  const run = async (): Promise<void> => {
    let consecutive = 0;
    for (;;) {
      if (signal.closed) return;
      const iface = pickInterface(options.interface, bindHost, (options.interfaces ?? networkInterfaces)());
      if (typeof iface === 'string') {
        // No usable interface is not an error of ours: say so and stop (a restart will not make one).
        set({ state: 'disabled', reason: iface });
        log.info(`mDNS ${describeDiscoveryState(current)}`);
        return;
      }
      current = { ...current, interface: `${iface.name} ${iface.address}`, name };
      let failure: CycleError | undefined;
      try {
        await cycle(iface);
      } catch (error) {
        failure = error instanceof CycleError ? error : new CycleError(errorText(error));
      }
      if (signal.closed) return;
      if (!failure) {
        consecutive = 0;
        set({ state: 'announced', name, interface: `${iface.name} ${iface.address}` });
        log.info(`mDNS ${describeDiscoveryState(current)}, port ${options.port}${tls ? ', TLS' : ''}`);
        // Stay announced until the socket errors or the interface's address changes.
        const reason = await watch(iface);
        if (signal.closed) return;
        failure = new CycleError(reason);
        log.warn(`mDNS: ${reason}; restarting the beacon`);
      } else {
        consecutive++;
        log.warn(`mDNS: ${failure.message}`);
      }
      await teardown(true);
      if (signal.closed) return;
      const now = Date.now();
      restartTimes.push(now);
      while (restartTimes.length > 0 && restartTimes[0]! < now - RESTART_WINDOW_MS) restartTimes.shift();
      current = { ...current, restarts: current.restarts + 1 };
      const giveUp = failure.final
        ? failure.message
        : consecutive >= MAX_CONSECUTIVE_FAILURES
          ? `${failure.message} (gave up after ${consecutive} failed attempts)`
          : restartTimes.length > MAX_RESTARTS_IN_WINDOW
            ? `${failure.message} (gave up after ${restartTimes.length - 1} restarts in 30 min)`
            : undefined;
      if (giveUp) {
        current = { ...current, restarts: current.restarts - 1 };
        set({ state: 'failed', reason: giveUp });
        log.warn(`mDNS ${describeDiscoveryState(current)}. The gateway keeps running; nodes can still use --url. Set discovery.mdns "off" or --mdns off to silence this.`);
        return;
      }
      set({ state: 'starting', reason: failure.message });
      await sleep(timing.retryBaseMs * 2 ** Math.max(0, consecutive - 1), signal, timers);
    }
  };

  /** Resolves with a reason when the beacon must be rebuilt. */
  const watch = (iface: InterfaceChoice) =>
    new Promise<string>((resolve) => {
      let done = false;
      const finish = (reason: string) => {
        if (done) return;
        done = true;
        clearInterval(timer);
        wakeWatchdog = undefined;
        resolve(reason);
      };
      wakeWatchdog = finish;
      const timer = setInterval(() => {
        try {
          if (signal.closed) return finish('closed');
          const now = pickInterface(options.interface, bindHost, (options.interfaces ?? networkInterfaces)());
          if (typeof now === 'string') return finish(now);
          if (now.address !== iface.address || now.name !== iface.name) finish(`the interface changed (${iface.name} ${iface.address} → ${now.name} ${now.address})`);
        } catch (error) {
          finish(`interface check failed: ${errorText(error)}`);
        }
      }, timing.watchdogMs);
      timer.unref?.();
      closeWatch = () => finish('closed');
    });
  let closeWatch: (() => void) | undefined;

  const running = run().catch((error: unknown) => {
    // Unreachable by design; still, never an unhandled rejection.
    set({ state: 'failed', reason: `internal error: ${errorText(error)}` });
    log.warn(`mDNS ${describeDiscoveryState(current)}`);
  });

  let closing: Promise<void> | undefined;
  return {
    state: () => ({ ...current }),
    close: () => {
      closing ??= (async () => {
        signal.closed = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        closeWatch?.();
        await teardown(true).catch(() => {});
        await Promise.race([running, new Promise((resolve) => setTimeout(resolve, timing.goodbyeTimeoutMs).unref?.())]);
        // A cycle may have created its socket while we were tearing down.
        await teardown(false).catch(() => {});
        set({ state: 'closed' });
      })();
      return closing;
    },
  };
}

function safeHostname(): string {
  try {
    return osHostname();
  } catch {
    return 'tether';
  }
}
