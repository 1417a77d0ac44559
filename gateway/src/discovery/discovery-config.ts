/**
 * The `discovery` block of `tether.json` and the `--mdns on|off` flag.
 *   { discovery: { mdns: "auto" | "on" | "off", name?: "Kitchen Pi", interface?: "eth0" | "192.168.1.4" } }
 * `auto` (the default) advertises except in containers, WSL, CI and tests; `on` advertises there too;
 * `off` never loads the mDNS library. A gateway bound to loopback only never advertises.
 */
import { z } from 'zod';

export const MDNS_MODES = ['auto', 'on', 'off'] as const;
export type MdnsMode = (typeof MDNS_MODES)[number];

export const DiscoveryFileSchema = z
  .object({
    mdns: z.enum(MDNS_MODES).optional(),
    /** The instance name other machines show (≤ 63 bytes; longer names are cut). Default: the host name. */
    name: z.string().min(1).max(256).optional(),
    /** An interface name (`eth0`) or its IPv4 address: the one interface to advertise on. */
    interface: z.string().min(1).max(64).optional(),
  })
  .strict();

export type DiscoveryFileConfig = z.infer<typeof DiscoveryFileSchema>;

/** The resolved block, as GatewayConfig would carry it. */
export interface DiscoveryConfig {
  mdns: MdnsMode;
  /** Where the mode came from, for the log and `status` (`--mdns`, `TETHER_MDNS`, `config`, `default`). */
  mdnsSource: 'flag' | 'env' | 'config' | 'default';
  name?: string;
  interface?: string;
}

export class MdnsFlagError extends Error {
  readonly code = 'USAGE';
}

/** `--mdns on|off|auto` (also `true/false/1/0/yes/no`); throws MdnsFlagError on anything else. */
export function parseMdnsFlag(value: unknown): MdnsMode | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === true) return 'on';
  if (value === false) return 'off';
  const text = String(value).trim().toLowerCase();
  if (text === 'on' || text === 'true' || text === '1' || text === 'yes') return 'on';
  if (text === 'off' || text === 'false' || text === '0' || text === 'no') return 'off';
  if (text === 'auto') return 'auto';
  throw new MdnsFlagError(`--mdns takes on, off or auto, got "${String(value)}"`);
}

/** Precedence like port and token: flag > env (`TETHER_MDNS`) > config file > `auto`. */
export function resolveDiscoveryConfig(
  file: DiscoveryFileConfig | undefined,
  flag: MdnsMode | undefined,
  env: NodeJS.ProcessEnv = process.env,
): DiscoveryConfig {
  let envMode: MdnsMode | undefined;
  try {
    envMode = env.TETHER_MDNS ? parseMdnsFlag(env.TETHER_MDNS) : undefined;
  } catch {
    throw new MdnsFlagError(`TETHER_MDNS takes on, off or auto, got "${env.TETHER_MDNS}"`);
  }
  const [mdns, mdnsSource]: [MdnsMode, DiscoveryConfig['mdnsSource']] =
    flag !== undefined ? [flag, 'flag'] : envMode !== undefined ? [envMode, 'env'] : file?.mdns !== undefined ? [file.mdns, 'config'] : ['auto', 'default'];
  return {
    mdns,
    mdnsSource,
    ...(file?.name !== undefined ? { name: file.name } : {}),
    ...(file?.interface !== undefined ? { interface: file.interface } : {}),
  };
}
