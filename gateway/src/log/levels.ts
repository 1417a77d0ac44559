/**
 * Log levels per subsystem. Two layers, the environment over the config: `TETHER_LOG_LEVEL`
 * (`info,channels=debug,agent=warn`) wins for what it names; the config's `logging`
 * (`{level, subsystems}`, applied again on reload through setLevels) supplies the rest.
 * A subsystem without its own level takes its parent's (`channels/telegram` → `channels`).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
export const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
/** The subsystems the gateway names today; others are allowed (a channel may add its own). */
export const KNOWN_SUBSYSTEMS = ['gateway', 'agent', 'approvals', 'channels', 'discovery', 'mcp'] as const;
const SUBSYSTEM = /^[a-z][a-z0-9-]{0,31}(\/[a-z][a-z0-9-]{0,31}){0,3}$/;

export interface LevelSettings {
  level?: LogLevel;
  subsystems?: Record<string, LogLevel>;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

export function isSubsystemName(value: string): boolean {
  return SUBSYSTEM.test(value);
}

/**
 * Parses `TETHER_LOG_LEVEL`. Bad entries are skipped and described in `problems` (the gateway warns
 * with them), so a typo never stops a gateway from starting nor silently changes nothing.
 */
export function parseLevelSpec(spec: string | undefined): { settings: LevelSettings; problems: string[] } {
  const settings: LevelSettings = {};
  const problems: string[] = [];
  if (spec === undefined || spec.trim() === '') return { settings, problems };
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const at = entry.indexOf('=');
    const name = at < 0 ? undefined : entry.slice(0, at).trim();
    const level = (at < 0 ? entry : entry.slice(at + 1)).trim().toLowerCase();
    if (!isLogLevel(level)) {
      problems.push(`TETHER_LOG_LEVEL: "${entry.slice(0, 40)}" has no valid level (one of ${LOG_LEVELS.join(', ')}); ignored`);
      continue;
    }
    if (name === undefined) settings.level = level;
    else if (!isSubsystemName(name)) problems.push(`TETHER_LOG_LEVEL: "${name.slice(0, 40)}" is not a subsystem name (e.g. ${KNOWN_SUBSYSTEMS.join(', ')}); ignored`);
    else (settings.subsystems ??= {})[name] = level;
  }
  return { settings, problems };
}

/** Checks settings that come from a config file or a caller; throws a TypeError naming the key and the fix. */
export function checkLevelSettings(settings: LevelSettings): LevelSettings {
  if (settings.level !== undefined && !isLogLevel(settings.level)) {
    throw new TypeError(`logging.level must be one of ${LOG_LEVELS.join(', ')}`);
  }
  for (const [name, level] of Object.entries(settings.subsystems ?? {})) {
    if (!isSubsystemName(name)) throw new TypeError(`logging.subsystems: "${name.slice(0, 40)}" is not a subsystem name (lowercase, e.g. ${KNOWN_SUBSYSTEMS.join(', ')})`);
    if (!isLogLevel(level)) throw new TypeError(`logging.subsystems.${name} must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return { ...(settings.level ? { level: settings.level } : {}), subsystems: { ...(settings.subsystems ?? {}) } };
}

/** The effective level of `subsystem`: env before config, the subsystem before its parents before the default. */
export function levelFor(subsystem: string, env: LevelSettings, config: LevelSettings): LogLevel {
  for (let name: string | undefined = subsystem; name; name = parentOf(name)) {
    const fromEnv = env.subsystems?.[name];
    if (fromEnv) return fromEnv;
  }
  if (env.level) return env.level;
  for (let name: string | undefined = subsystem; name; name = parentOf(name)) {
    const fromConfig = config.subsystems?.[name];
    if (fromConfig) return fromConfig;
  }
  return config.level ?? 'info';
}

function parentOf(name: string): string | undefined {
  const at = name.lastIndexOf('/');
  return at < 0 ? undefined : name.slice(0, at);
}
