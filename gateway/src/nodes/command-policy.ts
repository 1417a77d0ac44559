/**
 * The gateway's command policy: per-platform defaults, plus `nodes.allowCommands`, minus
 * `nodes.denyCommands` (deny wins). It applies on top of each device's approved surface.
 * Every refusal names the rule and the change that would allow the command.
 */
import { KNOWN_NODE_COMMANDS } from '@tether/protocol';

const DESKTOP = ['system.run', 'system.run.prepare', 'system.which', 'system.notify', 'camera.*', 'screen.*', 'location.get', 'browser.proxy'];
const MOBILE = ['canvas.*', 'camera.*', 'screen.record', 'location.get', 'device.*', 'system.notify', 'contacts.search', 'calendar.events', 'reminders.list', 'photos.latest', 'motion.*'];

/** Mirrors OpenClaw's table; `family.*` covers a family. An unknown platform gets no system.run. */
export const PLATFORM_DEFAULTS: Record<string, readonly string[]> = {
  linux: DESKTOP,
  macos: DESKTOP,
  windows: DESKTOP,
  ios: MOBILE,
  android: [...MOBILE, 'notifications.*', 'callLog'],
  unknown: ['camera.list', 'location.get', 'system.notify', 'canvas.*'],
};

export function platformClass(platform: string | undefined, deviceFamily?: string): string {
  const value = `${platform ?? ''} ${deviceFamily ?? ''}`.toLowerCase();
  if (/\b(ios|ipados|iphone|ipad)/.test(value)) return 'ios';
  if (value.includes('android')) return 'android';
  if (/\b(mac|darwin)/.test(value)) return 'macos';
  if (value.includes('win')) return 'windows';
  if (value.includes('linux')) return 'linux';
  return 'unknown';
}

function matches(pattern: string, command: string): boolean {
  return pattern.endsWith('.*') ? command.startsWith(pattern.slice(0, -1)) : pattern === command;
}

/** Names in allow/deny lists that are neither known commands nor `family.*` of a known family. */
export function unknownCommandNames(names: readonly string[]): string[] {
  return names.filter((name) => {
    if (name.endsWith('.*')) return ![...KNOWN_NODE_COMMANDS].some((command) => matches(name, command));
    return !KNOWN_NODE_COMMANDS.has(name);
  });
}

export interface CommandPolicyConfig {
  allowCommands: readonly string[];
  denyCommands: readonly string[];
  /** Where the lists live, for messages. */
  configPath: string;
}

export type PolicyDecision = { allowed: true } | { allowed: false; rule: 'denyCommands' | 'platform-default'; message: string };

export function checkCommandPolicy(config: CommandPolicyConfig, command: string, platform: string | undefined, deviceFamily?: string): PolicyDecision {
  if (config.denyCommands.some((pattern) => matches(pattern, command))) {
    return {
      allowed: false,
      rule: 'denyCommands',
      message: `node command not allowed: "${command}" is blocked by nodes.denyCommands in ${config.configPath}; remove it there and restart the gateway to allow it`,
    };
  }
  const cls = platformClass(platform, deviceFamily);
  const defaults = PLATFORM_DEFAULTS[cls] ?? PLATFORM_DEFAULTS.unknown!;
  if (defaults.some((pattern) => matches(pattern, command)) || config.allowCommands.some((pattern) => matches(pattern, command))) {
    return { allowed: true };
  }
  return {
    allowed: false,
    rule: 'platform-default',
    message: `node command not allowed: "${command}" is not allowed by default on ${cls} nodes; add it to nodes.allowCommands in ${config.configPath} and restart the gateway to allow it`,
  };
}
