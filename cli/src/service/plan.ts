/**
 * From flags to a service file: which kind, where it goes, and the exact argv it runs. Pure (all machine
 * facts come in through `ServiceEnvironment`), so every platform's plan is testable here.
 */
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { ServiceValueError, assertPrintable } from './quote.js';
import { renderServiceFile, serviceFileName, unitName, launchdLabel, type ServiceKind, type ServiceRole, type ServiceSpec } from './units.js';

export interface ServiceFlags {
  system?: boolean;
  stateDir?: string;
  unitDir?: string;
  /** Node only. */
  url?: string;
  displayName?: string;
  insecure?: boolean;
  /** Gateway only. */
  port?: number;
  host?: string;
  user?: string;
}

export interface ServiceEnvironment {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
  /** Absolute path of the Node.js binary running now (process.execPath). */
  nodePath: string;
  /** Absolute path of the CLI entry file running now (the real path of process.argv[1]). */
  entryPath: string;
  /** Which of the device groups exist on this machine. */
  deviceGroups: string[];
  systemdVersion?: number;
  /** The default state dir when none is given (user services). */
  defaultStateDir: (role: ServiceRole) => string;
}

export interface ServicePlan {
  role: ServiceRole;
  kind: ServiceKind;
  /** systemd unit name or launchd label. */
  name: string;
  unitDir: string;
  filePath: string;
  spec: ServiceSpec;
  text: string;
  /** True when the directory came from --unit-dir / TETHER_SERVICE_DIR (tests, packaging). */
  customUnitDir: boolean;
}

export const SYSTEM_STATE_DIRS: Record<ServiceRole, string> = { gateway: '/var/lib/tether', node: '/var/lib/tether-node' };
const DEVICE_GROUPS = ['video', 'render', 'input'];

export function serviceKind(role: ServiceRole, flags: ServiceFlags, platform: NodeJS.Platform): ServiceKind {
  if (platform === 'darwin') {
    if (flags.system) throw new ServiceValueError('--system is for systemd (Linux); on macOS Tether installs a LaunchAgent for your user: leave --system out');
    return 'launchd';
  }
  if (platform !== 'linux') throw new ServiceValueError(`installing a service is supported on Linux (systemd) and macOS (launchd), not on ${platform}; run \`tether ${role} run\` under your own supervisor`);
  return flags.system ? 'systemd-system' : 'systemd-user';
}

export function defaultUnitDir(kind: ServiceKind, env: NodeJS.ProcessEnv, home: string): string {
  if (kind === 'systemd-system') return '/etc/systemd/system';
  if (kind === 'launchd') return join(home, 'Library', 'LaunchAgents');
  return join(env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, '.config'), 'systemd', 'user');
}

function unitDirFor(kind: ServiceKind, flags: ServiceFlags, machine: ServiceEnvironment): { dir: string; custom: boolean } {
  const custom = flags.unitDir ?? (machine.env.TETHER_SERVICE_DIR || undefined);
  if (custom !== undefined) {
    assertPrintable('--unit-dir', custom);
    return { dir: resolve(custom), custom: true };
  }
  return { dir: defaultUnitDir(kind, machine.env, machine.home), custom: false };
}

/** Only ws:// and wss:// URLs with a host, as `tether node run --url` takes them. */
export function checkGatewayUrl(url: string): string {
  assertPrintable('--url', url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ServiceValueError(`--url must be a gateway URL such as wss://192.168.1.10:18789, got "${url}"`);
  }
  if ((parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') || parsed.hostname === '') throw new ServiceValueError(`--url must start with ws:// or wss:// and name a host, got "${url}"`);
  return url;
}

/** The command the service runs after the entry file: `tether-node` takes the node's flags directly. */
function commandArgs(role: ServiceRole, entryPath: string): string[] {
  if (role === 'node') return /tether-node(\.[cm]?js)?$/.test(basename(entryPath)) ? [] : ['node', 'run'];
  return ['gateway', 'run'];
}

export function planService(role: ServiceRole, flags: ServiceFlags, machine: ServiceEnvironment): ServicePlan {
  const kind = serviceKind(role, flags, machine.platform);
  const system = kind === 'systemd-system';
  for (const [label, path] of [['the Node.js path', machine.nodePath], ['the tether entry path', machine.entryPath]] as const) {
    assertPrintable(label, path);
    if (!isAbsolute(path)) throw new ServiceValueError(`${label} "${path}" is not absolute; run tether from its installed location`);
    // ProtectHome=yes hides /home and /root from the service, and the `tether` account cannot read them anyway.
    if (system && /^\/(home|root)(\/|$)/.test(path)) {
      throw new ServiceValueError(`${label} ${path} is under a home directory, which a system service (ProtectHome=yes, user tether) cannot read. Install Node.js and tether system-wide (for example \`sudo npm install -g\` with a Node.js from your distribution), or install a user service: leave --system out`);
    }
  }
  if (flags.stateDir !== undefined) assertPrintable('--state-dir', flags.stateDir);
  const stateDir = flags.stateDir !== undefined ? resolve(flags.stateDir) : system ? SYSTEM_STATE_DIRS[role] : machine.defaultStateDir(role);
  const args = [machine.nodePath, machine.entryPath, ...commandArgs(role, machine.entryPath)];
  const env: Record<string, string> = {};
  if (role === 'gateway') {
    args.push('--state-dir', stateDir);
    if (flags.port !== undefined) args.push('--port', String(flags.port));
    if (flags.host !== undefined) {
      assertPrintable('--host', flags.host);
      args.push('--host', flags.host);
    }
    env.TETHER_STATE_DIR = stateDir;
  } else {
    if (flags.url === undefined) throw new ServiceValueError('a node service needs its gateway: give --url wss://HOST:18789 or --pair <setup code>');
    args.push('--url', checkGatewayUrl(flags.url), '--state-dir', stateDir);
    if (flags.displayName !== undefined) {
      assertPrintable('--display-name', flags.displayName);
      args.push('--display-name', flags.displayName);
    }
    if (flags.insecure) args.push('--insecure');
    env.TETHER_NODE_STATE_DIR = stateDir;
  }
  const varLib = /^\/var\/lib\/([A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*)$/.exec(stateDir);
  const spec: ServiceSpec = {
    role,
    kind,
    argv: args,
    stateDir,
    env,
    ...(system ? { user: flags.user ?? 'tether', supplementaryGroups: role === 'node' ? DEVICE_GROUPS.filter((g) => machine.deviceGroups.includes(g)) : [] } : {}),
    ...(system && varLib ? { stateDirectoryName: varLib[1]! } : {}),
    ...(machine.systemdVersion !== undefined ? { systemdVersion: machine.systemdVersion } : {}),
    ...(kind === 'launchd' ? { logPath: join(machine.home, 'Library', 'Logs', 'tether', `${role}.log`) } : {}),
  };
  const { dir, custom } = unitDirFor(kind, flags, machine);
  return {
    role,
    kind,
    name: kind === 'launchd' ? launchdLabel(role) : unitName(role),
    unitDir: dir,
    filePath: join(dir, serviceFileName(role, kind)),
    spec,
    text: renderServiceFile(spec),
    customUnitDir: custom,
  };
}

/** Where an installed file would be, for status and uninstall (no argv needed). */
export function serviceLocation(role: ServiceRole, flags: ServiceFlags, machine: Pick<ServiceEnvironment, 'platform' | 'env' | 'home'>): { kind: ServiceKind; name: string; filePath: string; unitDir: string; customUnitDir: boolean } {
  const kind = serviceKind(role, flags, machine.platform);
  const { dir, custom } = unitDirFor(kind, flags, { ...machine } as ServiceEnvironment);
  return { kind, name: kind === 'launchd' ? launchdLabel(role) : unitName(role), filePath: join(dir, serviceFileName(role, kind)), unitDir: dir, customUnitDir: custom };
}

export function defaultHome(): string {
  return homedir();
}
