/** A tiny leveled logger to stderr. Secrets are never passed to it. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(level: LogLevel = (process.env.TETHER_LOG_LEVEL as LogLevel) || 'info', prefix = 'gateway'): Logger {
  const threshold = ORDER[level] ?? ORDER.info;
  const write = (at: LogLevel, message: string) => {
    if (ORDER[at] >= threshold) process.stderr.write(`[${prefix}] ${at === 'info' ? '' : `${at}: `}${message}\n`);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}
