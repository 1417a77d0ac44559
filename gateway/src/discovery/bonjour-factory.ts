/**
 * The narrow slice of bonjour-service the advertiser uses, and the real factory. The library is loaded
 * with a dynamic import on first use, so a gateway with mDNS off never loads it. Tests pass their own
 * factory (one that throws, emits errors, never says `up`…).
 */
import type { EventEmitter } from 'node:events';

export interface MdnsPacket {
  answers?: Array<{ name?: string; type?: string; ttl?: number; data?: unknown }>;
  additionals?: Array<{ name?: string; type?: string; ttl?: number; data?: unknown }>;
}

/** multicast-dns's emitter: `error` (bind EACCES/EADDRINUSE), `warning`, `response`, `ready`. */
export interface MdnsLike extends Pick<EventEmitter, 'on' | 'removeListener'> {
  query(name: string, type: string, callback: (error?: Error | null) => void): void;
}

export interface PublishConfig {
  name: string;
  type: string;
  port: number;
  host: string;
  txt: Record<string, string>;
  probe: boolean;
  disableIPv6: boolean;
}

export interface ServiceLike extends Pick<EventEmitter, 'on' | 'removeListener'> {
  name: string;
}

export interface BonjourLike {
  server: { mdns: MdnsLike };
  publish(config: PublishConfig): ServiceLike;
  /** Sends the goodbyes (TTL 0) for everything published. */
  unpublishAll(callback?: () => void): void;
  destroy(callback?: () => void): void;
}

export interface BonjourFactoryOptions {
  /** The IPv4 address to join 224.0.0.251 on and send from. */
  interface: string;
  /** Always 0.0.0.0: a Linux socket bound to a unicast address never receives the group's datagrams. */
  bind: string;
  /** The mDNS port; 5353 unless a test picks another. */
  port?: number;
  /** Only these addresses go into A records (bonjour-service would add every interface's). */
  addresses: string[];
  /** The SRV target those addresses belong to. */
  host: string;
}

export type BonjourFactory = (options: BonjourFactoryOptions, onError: (error: unknown) => void) => BonjourLike | Promise<BonjourLike>;

interface BonjourModule {
  Bonjour: new (options: Record<string, unknown>, errorCallback?: (error: unknown) => void) => BonjourLike;
  Service: { prototype: { records(this: { host: string }): Array<{ type: string; data: unknown }> } };
}

/** host → the addresses its A records may carry. Keyed by our own `<label>.local`, so other users of the library are untouched. */
const allowedAddresses = new Map<string, Set<string>>();
let patched = false;

function patchRecords(mod: BonjourModule): void {
  if (patched) return;
  patched = true;
  const proto = mod.Service.prototype;
  const original = proto.records;
  proto.records = function records(this: { host: string }) {
    const all = original.call(this);
    const allowed = allowedAddresses.get(this.host);
    if (!allowed) return all;
    return all.filter((record) => (record.type !== 'A' && record.type !== 'AAAA') || allowed.has(String(record.data)));
  };
}

let modulePromise: Promise<BonjourModule> | undefined;

export function loadBonjour(): Promise<BonjourModule> {
  modulePromise ??= import('bonjour-service').then((loaded) => {
    const mod = ((loaded as { default?: unknown }).default ?? loaded) as BonjourModule;
    if (typeof mod.Bonjour !== 'function' || typeof mod.Service?.prototype?.records !== 'function') {
      throw new Error('bonjour-service has an unexpected shape (expected 1.4.x)');
    }
    patchRecords(mod);
    return mod;
  });
  modulePromise.catch(() => {
    modulePromise = undefined;
  });
  return modulePromise;
}

export const bonjourServiceFactory: BonjourFactory = async (options, onError) => {
  const mod = await loadBonjour();
  allowedAddresses.set(options.host, new Set(options.addresses));
  return new mod.Bonjour(
    { interface: options.interface, bind: options.bind, ...(options.port !== undefined ? { port: options.port } : {}) },
    onError,
  );
};
