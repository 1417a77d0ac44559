/**
 * The gateway's Logger interface and the plain stderr logger. The full one (JSON file, rotation, levels
 * per subsystem, redaction, followers) is log/gateway-log.ts; every line either writes is redacted.
 */
import { GatewayLog } from './log/gateway-log.js';
import type { LogLevel } from './log/levels.js';

export type { LogLevel } from './log/levels.js';
export { childLogger, GatewayLog, gatewayLogOf, type LogFields, type Logger, type LogRecord } from './log/gateway-log.js';

/** A stderr-only logger (no file): `[prefix] …` lines at `level` (default: TETHER_LOG_LEVEL, else info). */
export function createLogger(level?: LogLevel, prefix = 'gateway'): import('./log/gateway-log.js').Logger {
  return new GatewayLog({ ...(level ? { level, env: { ...process.env, TETHER_LOG_LEVEL: level } } : {}), prefix }).logger;
}
