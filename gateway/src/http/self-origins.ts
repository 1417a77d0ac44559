/**
 * The Control UI's own origin: the page the gateway serves at `GET /` talks back to the port it came
 * from, so that origin passes the Origin rule without an `allowedOrigins` entry. Only origins the
 * gateway can know it serves are added (never anything read from a request's Host header): the bound
 * host, and for a loopback or wildcard bind the loopback names too. Any other page stays refused.
 */
import { networkInterfaces } from 'node:os';
import { isLoopbackHost, normalizeOrigin } from '../config.js';
import type { GatewayContext } from '../context.js';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `http(s)://host:port` for every address this gateway listens on (lower-case, as browsers send them). */
export function selfOrigins(listen: { host: string; port: number }, tls: boolean): string[] {
  const scheme = tls ? 'https' : 'http';
  const hosts = new Set<string>();
  if (WILDCARD_HOSTS.has(listen.host)) {
    for (const name of LOOPBACK_NAMES) hosts.add(name);
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) hosts.add(urlHost(address.address));
    }
  } else {
    hosts.add(urlHost(listen.host));
    if (isLoopbackHost(listen.host)) for (const name of LOOPBACK_NAMES) hosts.add(name);
  }
  return [...hosts].map((host) => normalizeOrigin(`${scheme}://${host}:${listen.port}`));
}

/** The owner's `gateway.allowedOrigins` and the gateway's own origins: the only pages that may talk to it. */
export function allowedOriginsOf(gateway: GatewayContext): string[] {
  return [...gateway.config.allowedOrigins, ...selfOrigins(gateway.listen, gateway.config.tls.enabled)];
}

/**
 * The same origins as WebSocket URLs, for the page's `connect-src`. CSP's source grammar has no IPv6
 * literals (Chromium ignores `ws://[::1]:…` with a console error); a page loaded from one reaches its
 * socket through `'self'`, which covers ws(s) to the page's own host in current browsers.
 */
export function selfWebSocketOrigins(gateway: GatewayContext): string[] {
  return selfOrigins(gateway.listen, gateway.config.tls.enabled)
    .filter((origin) => !origin.includes('['))
    .map((origin) => origin.replace(/^http/, 'ws'));
}
