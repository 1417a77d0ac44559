import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  buildTxt,
  capTxt,
  instanceName,
  MAX_LABEL_BYTES,
  MAX_TXT_STRING_BYTES,
  normalizeFingerprint,
  openclawInstanceName,
  renamedInstance,
  truncateUtf8,
  utf8Length,
  hostLabel,
} from './txt.js';
import { autoDisabledReason, containerReason, pickInterface, wslReason, ciReason, testReason, type EnvironmentProbe } from './environment.js';
import { parseMdnsFlag, resolveDiscoveryConfig, DiscoveryFileSchema, MdnsFlagError } from './discovery-config.js';
import { describeDiscoveryState, startDiscovery, MAX_RENAMES, type DiscoveryHandle, type DiscoveryOptions } from './advertiser.js';
import type { BonjourFactory, BonjourLike, PublishConfig } from './bonjour-factory.js';

const FP = 'ab'.repeat(32);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('names and TXT within DNS-SD limits', () => {
  it('truncates at a UTF-8 boundary', () => {
    expect(truncateUtf8('abc', 2)).toBe('ab');
    expect(truncateUtf8('aé', 2)).toBe('a'); // é is 2 bytes
    expect(truncateUtf8('😀😀', 5)).toBe('😀');
    expect(truncateUtf8('x', 0)).toBe('');
    const long = 'ü'.repeat(100);
    const cut = truncateUtf8(long, 63);
    expect(utf8Length(cut)).toBeLessThanOrEqual(63);
    expect(cut).toBe('ü'.repeat(31));
  });

  it('makes an instance name of at most 63 bytes, without dots or controls', () => {
    expect(instanceName('Kitchen Pi')).toBe('Kitchen Pi');
    expect(instanceName('a.b.c')).toBe('a-b-c');
    expect(instanceName('evil\u001b[31m\nname')).toBe('evil [31m name');
    expect(utf8Length(instanceName('日本語'.repeat(40)))).toBeLessThanOrEqual(MAX_LABEL_BYTES);
    expect(instanceName(undefined, 'pi.lan')).toBe('pi');
    expect(instanceName('   ', 'bad_host!')).toBe('tether');
    expect(hostLabel('my-mac.local')).toBe('my-mac');
    expect(hostLabel('-bad')).toBe('tether');
  });

  it('renames with a suffix that always fits', () => {
    expect(renamedInstance('pi', 2)).toBe('pi (2)');
    expect(renamedInstance('pi (2)', 3)).toBe('pi (3)');
    const long = 'é'.repeat(40);
    const renamed = renamedInstance(long, 5);
    expect(utf8Length(renamed)).toBeLessThanOrEqual(63);
    expect(renamed.endsWith(' (5)')).toBe(true);
    expect(utf8Length(openclawInstanceName(long))).toBeLessThanOrEqual(63);
    expect(openclawInstanceName('pi')).toBe('pi (OpenClaw)');
    expect(openclawInstanceName('my openclaw box')).toBe('my openclaw box');
  });

  it('builds the TXT keys OpenClaw reads, every string ≤ 255 bytes', () => {
    const txt = buildTxt({ displayName: 'pi', hostLabel: 'pi', port: 18789, tlsFingerprint: FP.toUpperCase().match(/../g)!.join(':') }, 'openclaw-gw');
    expect(txt).toEqual({ txtvers: '1', role: 'gateway', transport: 'gateway', displayName: 'pi', lanHost: 'pi.local', gatewayPort: '18789', gatewayTls: '1', gatewayTlsSha256: FP });
    const tether = buildTxt({ displayName: 'pi', hostLabel: 'pi', port: 1 }, 'tether-gw');
    expect(tether.protocol).toMatch(/^\d+$/);
    expect(tether.gatewayTls).toBeUndefined();
    expect(tether.gatewayTlsSha256).toBeUndefined();
    const huge = buildTxt({ displayName: '💥'.repeat(500), hostLabel: 'h', port: 2 }, 'tether-gw');
    for (const [key, value] of Object.entries(huge)) expect(utf8Length(`${key}=${value}`)).toBeLessThanOrEqual(MAX_TXT_STRING_BYTES);
  });

  it('drops keys that are not printable ASCII and caps odd values', () => {
    const out = capTxt({ good: 'x'.repeat(1000), 'bad=key': 'v', '': 'v', 'sp ace': 'v', 'ключ': 'v' });
    expect(Object.keys(out)).toEqual(['good']);
    expect(utf8Length(`good=${out.good}`)).toBeLessThanOrEqual(255);
  });

  it('normalizes fingerprints', () => {
    expect(normalizeFingerprint(`SHA256:${FP.toUpperCase()}`)).toBe(FP);
    expect(normalizeFingerprint('abcd')).toBeUndefined();
  });
});

function probe(env: NodeJS.ProcessEnv, files: Record<string, string> = {}): EnvironmentProbe {
  return { env, exists: (p) => p in files, read: (p) => files[p] };
}

describe('where mDNS stays off by default', () => {
  it('detects containers', () => {
    expect(containerReason(probe({}, { '/.dockerenv': '' }))).toMatch(/dockerenv/);
    expect(containerReason(probe({}, { '/run/.containerenv': '' }))).toMatch(/containerenv/);
    expect(containerReason(probe({}, { '/proc/1/cgroup': '0::/system.slice/docker-abc.scope' }))).toMatch(/cgroup/);
    expect(containerReason(probe({}, { '/proc/1/cgroup': '0::/kubepods/burstable/pod1' }))).toMatch(/cgroup/);
    expect(containerReason(probe({ container: 'podman' }))).toMatch(/podman/);
    expect(containerReason(probe({}, { '/proc/1/cgroup': '0::/init.scope' }))).toBeUndefined();
  });
  it('detects WSL, CI and tests', () => {
    expect(wslReason(probe({}, { '/proc/version': 'Linux version 5.15.90.1-microsoft-standard-WSL2' }))).toMatch(/WSL/);
    expect(wslReason(probe({}, { '/proc/version': 'Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)' }))).toBeUndefined();
    expect(ciReason(probe({ CI: 'true' }))).toMatch(/CI/);
    expect(ciReason(probe({ CI: 'false' }))).toBeUndefined();
    expect(testReason(probe({ VITEST: 'true' }))).toMatch(/VITEST/);
    expect(autoDisabledReason(probe({}))).toBeUndefined();
  });
  it('picks one IPv4 interface', () => {
    const ifs = {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
      eth0: [{ address: 'fe80::1', family: 'IPv6', internal: false }, { address: '192.168.1.4', family: 'IPv4', internal: false }],
      wlan0: [{ address: '10.0.0.9', family: 'IPv4', internal: false }],
    } as never;
    expect(pickInterface(undefined, '0.0.0.0', ifs)).toEqual({ name: 'eth0', address: '192.168.1.4' });
    expect(pickInterface('wlan0', '0.0.0.0', ifs)).toEqual({ name: 'wlan0', address: '10.0.0.9' });
    expect(pickInterface('10.0.0.9', '0.0.0.0', ifs)).toEqual({ name: 'wlan0', address: '10.0.0.9' });
    expect(pickInterface(undefined, '10.0.0.9', ifs)).toEqual({ name: 'wlan0', address: '10.0.0.9' });
    expect(pickInterface('eth9', '0.0.0.0', ifs)).toMatch(/eth9/);
    expect(pickInterface(undefined, '0.0.0.0', { lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }] } as never)).toMatch(/loopback/);
  });
});

describe('config fragment and --mdns', () => {
  it('parses the flag', () => {
    expect(parseMdnsFlag('on')).toBe('on');
    expect(parseMdnsFlag('OFF')).toBe('off');
    expect(parseMdnsFlag(undefined)).toBeUndefined();
    expect(() => parseMdnsFlag('maybe')).toThrow(MdnsFlagError);
  });
  it('resolves flag > env > file > auto', () => {
    expect(resolveDiscoveryConfig(undefined, undefined, {})).toEqual({ mdns: 'auto', mdnsSource: 'default' });
    expect(resolveDiscoveryConfig({ mdns: 'off', name: 'x' }, undefined, {})).toEqual({ mdns: 'off', mdnsSource: 'config', name: 'x' });
    expect(resolveDiscoveryConfig({ mdns: 'off' }, undefined, { TETHER_MDNS: 'on' }).mdns).toBe('on');
    expect(resolveDiscoveryConfig({ mdns: 'on' }, 'off', { TETHER_MDNS: 'on' })).toMatchObject({ mdns: 'off', mdnsSource: 'flag' });
    expect(() => resolveDiscoveryConfig(undefined, undefined, { TETHER_MDNS: 'bogus' })).toThrow(/TETHER_MDNS/);
  });
  it('validates the file block strictly', () => {
    expect(DiscoveryFileSchema.safeParse({ mdns: 'auto', interface: 'eth0' }).success).toBe(true);
    expect(DiscoveryFileSchema.safeParse({ mdns: 'yes' }).success).toBe(false);
    expect(DiscoveryFileSchema.safeParse({ mdns: 'on', extra: 1 }).success).toBe(false);
  });
});

// ---- the supervisor, against a fake library ----

interface FakeScript {
  /** Throw from the factory on these calls (1-based). */
  throwOnCreate?: (n: number) => boolean;
  /** Answer the probe for these fqdns as another host would (conflict). */
  taken?: (fqdn: string) => boolean;
  /** An error for every query callback (ENETUNREACH…). */
  queryError?: () => Error | undefined;
  /** Throw from query itself. */
  queryThrows?: boolean;
  /** Never emit `up`. */
  silent?: boolean;
  publishThrows?: boolean;
}

class FakeBonjour implements BonjourLike {
  readonly server = { mdns: Object.assign(new EventEmitter(), { query: (name: string, _type: string, cb: (e?: Error | null) => void) => this.query(name, cb) }) };
  published: PublishConfig[] = [];
  goodbyes = 0;
  destroyed = false;
  constructor(private readonly script: FakeScript) {}
  query(name: string, cb: (e?: Error | null) => void) {
    if (this.script.queryThrows) throw new Error('query exploded');
    setImmediate(() => {
      const error = this.script.queryError?.();
      cb(error ?? null);
      if (!error && this.script.taken?.(name)) this.server.mdns.emit('response', { answers: [{ name, type: 'SRV', ttl: 120, data: {} }] });
    });
  }
  publish(config: PublishConfig) {
    if (this.script.publishThrows) throw new Error('Buffer overflow');
    this.published.push(config);
    const service = Object.assign(new EventEmitter(), { name: config.name });
    if (!this.script.silent) setImmediate(() => service.emit('up'));
    return service;
  }
  unpublishAll(cb?: () => void) {
    this.goodbyes++;
    setImmediate(() => cb?.());
  }
  destroy(cb?: () => void) {
    this.destroyed = true;
    setImmediate(() => cb?.());
  }
}

function harness(script: FakeScript = {}) {
  const created: FakeBonjour[] = [];
  let calls = 0;
  const factory: BonjourFactory = (options) => {
    calls++;
    if (script.throwOnCreate?.(calls)) throw new Error(`bind EADDRINUSE 0.0.0.0:5353 (${options.interface})`);
    const b = new FakeBonjour(script);
    created.push(b);
    return b;
  };
  return { factory, created, calls: () => calls };
}

const base = (extra: Partial<DiscoveryOptions>): DiscoveryOptions => ({
  port: 18789,
  host: '0.0.0.0',
  mode: 'on',
  log: quiet,
  hostname: 'pi',
  interfaces: () => ({ eth0: [{ address: '10.1.2.3', family: 'IPv4', internal: false, netmask: '255.0.0.0', mac: 'aa:bb:cc:dd:ee:ff', cidr: null }] }),
  timing: { probeIntervalMs: 1, upTimeoutMs: 200, retryBaseMs: 1, renameDelayMs: 1, watchdogMs: 50, goodbyeTimeoutMs: 100 },
  ...extra,
});

async function until(handle: DiscoveryHandle, states: string[], ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!states.includes(handle.state().state)) {
    if (Date.now() > end) throw new Error(`still ${describeDiscoveryState(handle.state())}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('startDiscovery supervision', () => {
  it('announces both beacons with TXT, binds {interface, bind: 0.0.0.0}, and says goodbye on close', async () => {
    const seen: unknown[] = [];
    const h = harness();
    const factory: BonjourFactory = (options, onError) => (seen.push(options), h.factory(options, onError));
    const handle = startDiscovery(base({ factory, tls: { fingerprint: FP }, name: 'Kitchen.Pi' }));
    await until(handle, ['announced']);
    expect(seen[0]).toMatchObject({ interface: '10.1.2.3', bind: '0.0.0.0', addresses: ['10.1.2.3'], host: 'pi.local' });
    const b = h.created[0]!;
    expect(b.published.map((p) => [p.type, p.name])).toEqual([
      ['tether-gw', 'Kitchen-Pi'],
      ['openclaw-gw', 'Kitchen-Pi (OpenClaw)'],
    ]);
    expect(b.published.every((p) => p.probe === false && p.txt.gatewayTlsSha256 === FP && p.port === 18789)).toBe(true);
    expect(describeDiscoveryState(handle.state())).toMatch(/^announced as "Kitchen-Pi" on eth0 10\.1\.2\.3/);
    await handle.close();
    expect(b.goodbyes).toBe(1);
    expect(b.destroyed).toBe(true);
    expect(handle.state().state).toBe('closed');
  });

  it('never loads the library when off, on loopback, or automatically under tests/containers', async () => {
    const h = harness();
    expect(startDiscovery(base({ factory: h.factory, mode: 'off' })).state()).toMatchObject({ state: 'disabled', reason: expect.stringMatching(/off/) });
    expect(startDiscovery(base({ factory: h.factory, host: '127.0.0.1' })).state()).toMatchObject({ state: 'disabled', reason: expect.stringMatching(/127\.0\.0\.1/) });
    const auto = startDiscovery(base({ factory: h.factory, mode: 'auto', environment: probe({ VITEST: 'true' }) }));
    expect(describeDiscoveryState(auto.state())).toMatch(/^disabled: running under tests/);
    const docker = startDiscovery(base({ factory: h.factory, mode: 'auto', environment: probe({}, { '/.dockerenv': '' }) }));
    expect(docker.state().reason).toMatch(/container.*--mdns on/);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.calls()).toBe(0);
  });

  it('disables itself with the reason when there is no LAN interface', async () => {
    const h = harness();
    const handle = startDiscovery(base({ factory: h.factory, interfaces: () => ({ lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }] as never }) }));
    await until(handle, ['disabled']);
    expect(handle.state().reason).toMatch(/loopback/);
    expect(h.calls()).toBe(0);
  });

  it('a factory that throws is retried a bounded number of times, then failed with the reason', async () => {
    const h = harness({ throwOnCreate: () => true });
    const handle = startDiscovery(base({ factory: h.factory }));
    await until(handle, ['failed']);
    expect(h.calls()).toBe(3);
    expect(handle.state().reason).toMatch(/EADDRINUSE.*gave up after 3 failed attempts/);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.calls()).toBe(3);
    await handle.close();
  });

  it('recovers when a later attempt works', async () => {
    const h = harness({ throwOnCreate: (n) => n === 1 });
    const handle = startDiscovery(base({ factory: h.factory }));
    await until(handle, ['announced']);
    expect(handle.state().restarts).toBe(1);
    await handle.close();
  });

  it('reports send failures (no multicast route) instead of claiming `up`', async () => {
    const h = harness({ queryError: () => Object.assign(new Error('send ENETUNREACH 224.0.0.251:5353'), { code: 'ENETUNREACH' }) });
    const handle = startDiscovery(base({ factory: h.factory }));
    await until(handle, ['failed']);
    expect(handle.state().reason).toMatch(/ENETUNREACH/);
    expect(h.created.every((b) => b.destroyed)).toBe(true);
  });

  it('survives a query that throws and a publish that throws', async () => {
    for (const script of [{ queryThrows: true }, { publishThrows: true }, { silent: true }]) {
      const h = harness(script);
      const handle = startDiscovery(base({ factory: h.factory }));
      await until(handle, ['failed']);
      expect(handle.state().reason).toMatch(/query exploded|Buffer overflow|not announced within/);
      await handle.close();
    }
  });

  it('socket errors after announcing restart the beacon; repeated ones end in failed, never a throw', async () => {
    const h = harness();
    const handle = startDiscovery(base({ factory: h.factory }));
    for (let i = 0; i < 6; i++) {
      await until(handle, ['announced', 'failed']);
      if (handle.state().state === 'failed') break;
      const latest = h.created[h.created.length - 1]!;
      // multicast-dns emits `error` on EACCES/EADDRINUSE; with our listener attached this must not throw.
      latest.server.mdns.emit('error', Object.assign(new Error('bind EACCES'), { code: 'EACCES' }));
      latest.server.mdns.emit('warning', new Error('Header must be 12 bytes'));
      // Wait for the restart itself (a new responder) or the end: a restart can pass through
      // `starting` faster than any poll sees it.
      const before = h.created.length;
      const end = Date.now() + 3_000;
      while (h.created.length === before && handle.state().state !== 'failed') {
        if (Date.now() > end) throw new Error(`no restart: ${describeDiscoveryState(handle.state())}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    await until(handle, ['failed']);
    expect(handle.state().reason).toMatch(/EACCES.*restarts in 30 min/);
    expect(h.created.every((b) => b.destroyed)).toBe(true);
  });

  it('renames on a name conflict, with a cap instead of a storm', async () => {
    const h = harness({ taken: (fqdn) => fqdn.startsWith('pi._') || fqdn.startsWith('pi (2)._') });
    const handle = startDiscovery(base({ factory: h.factory }));
    await until(handle, ['announced']);
    expect(handle.state()).toMatchObject({ name: 'pi (3)', renames: 2 });
    expect(h.created[0]!.published.map((p) => p.name)).toEqual(['pi (3)', 'pi (3) (OpenClaw)']);
    await handle.close();

    const all = harness({ taken: () => true });
    const stuck = startDiscovery(base({ factory: all.factory }));
    await until(stuck, ['failed']);
    expect(stuck.state().renames).toBe(MAX_RENAMES);
    expect(stuck.state().reason).toMatch(/name conflict: "pi", "pi \(2\)".*set discovery\.name/);
    expect(all.calls()).toBe(1);
  });

  it('close() during startup leaves nothing behind and never rejects', async () => {
    const h = harness({ silent: true });
    const handle = startDiscovery(base({ factory: h.factory }));
    await new Promise((r) => setTimeout(r, 5));
    await expect(handle.close()).resolves.toBeUndefined();
    await expect(handle.close()).resolves.toBeUndefined();
    expect(h.created.every((b) => b.destroyed)).toBe(true);
    expect(handle.state().state).toBe('closed');
  });
});
