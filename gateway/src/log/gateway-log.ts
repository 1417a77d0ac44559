/**
 * The gateway's logger: one record per call, `{ts, level, subsystem, msg, ...fields}`, redacted once
 * (log/redact.ts), then written as a JSON line to `<stateDir>/logs/gateway.log` (file-sink.ts) and as
 * today's human line on stderr (`[gateway] warn: …`, the same for every subsystem, because people and
 * tests read it). Levels are per subsystem (levels.ts); `logs.tail` followers get each record too.
 */
import { safeText } from '@tether/protocol';
import { join } from 'node:path';
import { checkLevelSettings, LEVEL_ORDER, levelFor, parseLevelSpec, type LevelSettings, type LogLevel } from './levels.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, FileSink } from './file-sink.js';
import { isSecretKey, redact, REDACTED } from './redact.js';

export type RecordLevel = Exclude<LogLevel, 'silent'>;
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger for a part of the gateway (its own level, its name on each record). Optional: plain objects are Loggers too. */
  child?(subsystem: string): Logger;
}

export interface LogRecord {
  ts: string;
  level: RecordLevel;
  subsystem: string;
  msg: string;
  [field: string]: unknown;
}

/** A message longer than this is cut (a stack trace fits; a model's whole answer does not belong in a log). */
export const MAX_MESSAGE_CHARS = 16 * 1024;
const RESERVED = new Set(['ts', 'level', 'subsystem', 'msg']);

export interface GatewayLogOptions {
  /** With a state dir, records also go to `<stateDir>/logs/gateway.log`. */
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
  /** The name on stderr lines (`[gateway] …`). */
  prefix?: string;
  /** The default level when neither the environment nor setLevels names one. */
  level?: LogLevel;
  stderr?: (line: string) => void;
  /** Every record that passed its level, after redaction (status.recentErrors keeps warnings from here). */
  onRecord?: (record: LogRecord) => void;
  maxBytes?: number;
  maxFiles?: number;
}

export type LineListener = (record: LogRecord, json: string) => void;

const byLogger = new WeakMap<Logger, GatewayLog>();

/** The GatewayLog behind a logger made by it (undefined for an embedder's own logger). */
export function gatewayLogOf(log: Logger): GatewayLog | undefined {
  return byLogger.get(log);
}

/** `log.child(subsystem)` when the logger has subsystems, else `log` itself. */
export function childLogger(log: Logger, subsystem: string): Logger {
  return log.child ? log.child(subsystem) : log;
}

export class GatewayLog {
  readonly logger: Logger;
  readonly sink: FileSink | undefined;
  private readonly envLevels: LevelSettings;
  private configLevels: LevelSettings;
  private readonly cache = new Map<string, number>();
  private readonly listeners = new Set<LineListener>();
  private readonly stderr: (line: string) => void;
  private readonly prefix: string;
  private readonly onRecord: ((record: LogRecord) => void) | undefined;

  constructor(options: GatewayLogOptions = {}) {
    const env = options.env ?? process.env;
    this.prefix = options.prefix ?? 'gateway';
    this.stderr = options.stderr ?? ((line) => void process.stderr.write(`${line}\n`));
    this.onRecord = options.onRecord;
    const parsed = parseLevelSpec(env.TETHER_LOG_LEVEL);
    this.envLevels = parsed.settings;
    this.configLevels = options.level ? { level: options.level } : {};
    if (options.stateDir) {
      this.sink = new FileSink({
        dir: join(options.stateDir, 'logs'),
        maxBytes: options.maxBytes ?? positiveInt(env.TETHER_LOG_MAX_BYTES) ?? DEFAULT_MAX_BYTES,
        maxFiles: options.maxFiles ?? positiveInt(env.TETHER_LOG_MAX_FILES) ?? DEFAULT_MAX_FILES,
        warn: this.stderr,
      });
    }
    this.logger = this.loggerFor('gateway');
    byLogger.set(this.logger, this);
    for (const problem of parsed.problems) this.logger.warn(problem);
  }

  /** Applies the config's `logging` levels (at start and on reload). `TETHER_LOG_LEVEL` still wins for what it names. */
  setLevels(settings: LevelSettings): void {
    this.configLevels = checkLevelSettings(settings);
    this.cache.clear();
  }

  /** The level `subsystem` logs at now. */
  levelOf(subsystem: string): LogLevel {
    return levelFor(subsystem, this.envLevels, this.configLevels);
  }

  /** Follows every record written from now on; returns the unsubscribe. */
  onLine(listener: LineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.sink?.close();
    this.listeners.clear();
  }

  private threshold(subsystem: string): number {
    let value = this.cache.get(subsystem);
    if (value === undefined) {
      value = LEVEL_ORDER[this.levelOf(subsystem)];
      this.cache.set(subsystem, value);
    }
    return value;
  }

  private loggerFor(subsystem: string): Logger {
    const write = (level: RecordLevel, message: string, fields?: LogFields) => {
      if (LEVEL_ORDER[level] < this.threshold(subsystem)) return;
      this.emit(buildRecord(level, subsystem, message, fields));
    };
    return {
      debug: (m, f) => write('debug', m, f),
      info: (m, f) => write('info', m, f),
      warn: (m, f) => write('warn', m, f),
      error: (m, f) => write('error', m, f),
      child: (name) => this.loggerFor(subsystem === 'gateway' ? name : `${subsystem}/${name}`),
    };
  }

  private emit(record: LogRecord): void {
    this.stderr(humanLine(record, this.prefix));
    const json = JSON.stringify(record);
    this.sink?.write(json);
    try {
      this.onRecord?.(record);
    } catch {
      // A listener's failure must not stop logging.
    }
    for (const listener of this.listeners) {
      try {
        listener(record, json);
      } catch {
        // Same.
      }
    }
  }
}

/** A record with every string redacted, the message capped, and fields that cannot shadow the four keys. */
export function buildRecord(level: RecordLevel, subsystem: string, message: string, fields?: LogFields, now = new Date()): LogRecord {
  const text = String(message);
  const capped = text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}… (${text.length - MAX_MESSAGE_CHARS} more characters cut)` : text;
  const record: LogRecord = { ts: now.toISOString(), level, subsystem, msg: redact(capped) };
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (RESERVED.has(key) || value === undefined) continue;
      record[key] = isSecretKey(key) ? REDACTED : redactValue(value, 0);
    }
  }
  return record;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redact(value.length > MAX_MESSAGE_CHARS ? value.slice(0, MAX_MESSAGE_CHARS) : value);
  if (typeof value !== 'object' || value === null) return typeof value === 'bigint' ? String(value) : value;
  if (depth > 4) return '[deep]';
  if (value instanceof Error) return redact(value.message);
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) out[key] = isSecretKey(key) ? REDACTED : redactValue(child, depth + 1);
  return out;
}

/**
 * Today's stderr line: `[gateway] msg` for info, `[gateway] warn: msg` otherwise; fields as ` key=value`.
 * One line, always: control, format and line-separator characters are escaped (safeText), because
 * under systemd each newline would become a journal entry of its own, and a peer's text could forge one
 * (attacker's review of issue 12). The JSON file needs no such care: JSON.stringify escapes them.
 */
export function humanLine(record: LogRecord, prefix = 'gateway'): string {
  return `[${prefix}] ${record.level === 'info' ? '' : `${record.level}: `}${safeText(record.msg)}${fieldText(record)}`;
}

export function fieldText(record: LogRecord): string {
  let out = '';
  for (const [key, value] of Object.entries(record)) {
    if (RESERVED.has(key)) continue;
    out += ` ${safeText(key)}=${typeof value === 'string' ? safeText(value) : JSON.stringify(value)}`;
  }
  return out;
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,12}$/.test(value.trim())) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}
