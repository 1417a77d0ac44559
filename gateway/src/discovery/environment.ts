/**
 * Where mDNS stays off unless asked for: containers (no multicast off the bridge, and a beacon would
 * advertise an address nobody can reach), WSL (NAT'd; OpenClaw's crash loops came from there), CI and
 * test runs (many processes on one host would flood each other), and hosts with no LAN IPv4 at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isLoopbackUrlHost } from '@tether/protocol';

/** What the checks read; tests replace it. */
export interface EnvironmentProbe {
  env: NodeJS.ProcessEnv;
  exists(path: string): boolean;
  /** The file's text, or undefined when it cannot be read. */
  read(path: string): string | undefined;
}

export const realProbe: EnvironmentProbe = {
  env: process.env,
  exists: (path) => {
    try {
      return existsSync(path);
    } catch {
      return false;
    }
  },
  read: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};

const CGROUP_MARKERS = /docker|containerd|kubepods|libpod|lxc|podman|cloudchamber/i;

/** Why this looks like a container, or undefined. */
export function containerReason(probe: EnvironmentProbe = realProbe): string | undefined {
  if (probe.exists('/.dockerenv')) return 'running in a container (/.dockerenv)';
  if (probe.exists('/run/.containerenv')) return 'running in a container (/run/.containerenv)';
  if (probe.env.FLY_MACHINE_ID && probe.env.FLY_APP_NAME) return 'running in a container (Fly machine)';
  if (probe.env.KUBERNETES_SERVICE_HOST) return 'running in a container (Kubernetes)';
  const container = probe.env.container;
  if (container && container !== '0') return `running in a container (container=${container})`;
  for (const file of ['/proc/1/cgroup', '/proc/self/cgroup']) {
    const text = probe.read(file);
    if (text && CGROUP_MARKERS.test(text)) return `running in a container (${file})`;
  }
  return undefined;
}

export function wslReason(probe: EnvironmentProbe = realProbe): string | undefined {
  if (probe.env.WSL_DISTRO_NAME || probe.env.WSL_INTEROP) return 'running under WSL (its network is NAT-ed; multicast does not reach the LAN)';
  const version = probe.read('/proc/version');
  if (version && /microsoft|wsl/i.test(version)) return 'running under WSL (its network is NAT-ed; multicast does not reach the LAN)';
  return undefined;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && !/^(0|false|no|off)$/i.test(value);
}

export function ciReason(probe: EnvironmentProbe = realProbe): string | undefined {
  if (truthy(probe.env.CI)) return 'running in CI (CI is set)';
  return undefined;
}

export function testReason(probe: EnvironmentProbe = realProbe): string | undefined {
  if (probe.env.VITEST) return 'running under tests (VITEST is set)';
  if (probe.env.NODE_ENV === 'test') return 'running under tests (NODE_ENV=test)';
  return undefined;
}

/** The first reason automatic mode stays off, or undefined when nothing speaks against mDNS. */
export function autoDisabledReason(probe: EnvironmentProbe = realProbe): string | undefined {
  return testReason(probe) ?? ciReason(probe) ?? containerReason(probe) ?? wslReason(probe);
}

export function isLoopbackAddress(host: string): boolean {
  return isLoopbackUrlHost(host) || host.replace(/^\[|\]$/g, '').toLowerCase() === '::ffff:127.0.0.1';
}

export function isWildcardAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '' || h === '0.0.0.0' || h === '::' || h === '::0';
}

export interface InterfaceChoice {
  /** The interface's name (`eth0`), or the address when no interface holds it. */
  name: string;
  /** The IPv4 address multicast is sent from and memberships are joined on. */
  address: string;
}

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * The one IPv4 interface to advertise on (several would announce the same name twice and fight over it,
 * OpenClaw #17222/#28478). `wanted` is an interface name or one of its IPv4 addresses; otherwise the
 * address the gateway is bound to; otherwise the first non-internal IPv4 interface. A string, the reason,
 * when none fits.
 */
export function pickInterface(wanted: string | undefined, bindHost: string, interfaces: Interfaces = safeInterfaces()): InterfaceChoice | string {
  const all: InterfaceChoice[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family === 'IPv4' || (info.family as unknown) === 4) all.push({ name, address: info.address });
    }
  }
  const external = (choice: InterfaceChoice) => !choice.address.startsWith('127.');
  if (wanted) {
    const hit = all.find((c) => c.name === wanted && external(c)) ?? all.find((c) => c.address === wanted);
    if (hit) return hit;
    return `interface "${wanted}" has no IPv4 address here (have: ${all.map((c) => `${c.name} ${c.address}`).join(', ') || 'none'})`;
  }
  if (!isWildcardAddress(bindHost)) {
    const hit = all.find((c) => c.address === bindHost);
    if (hit) return hit;
    if (/^\d+\.\d+\.\d+\.\d+$/.test(bindHost)) return `the gateway is bound to ${bindHost}, which no interface here holds`;
    return `the gateway is bound to ${bindHost}; set discovery.interface to the IPv4 interface to advertise on`;
  }
  const first = all.find(external);
  return first ?? 'no non-loopback IPv4 interface (a loopback-only host cannot be discovered)';
}

function safeInterfaces(): Interfaces {
  try {
    return networkInterfaces();
  } catch {
    // Some sandboxes refuse the call (uv_interface_addresses); that only means no interface to use.
    return {};
  }
}
