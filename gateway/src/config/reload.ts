/**
 * Hot reload of tether.json: a watch on the state dir (debounced) and SIGHUP. A valid change is
 * applied where it can be (the context's config is replaced; consumers read `gateway.config` per
 * use) and the keys that need a restart are named; an invalid one is reported loudly — log, `health`,
 * `status`, a `config` event — while the last good config stays in force. Never silent.
 */
import { redactStrict } from '../log/redact.js';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { resolveGatewayConfigWithFiles, type GatewayConfig, type GatewayOverrides } from '../config.js';
import type { Logger } from '../log.js';

/** Keys whose new value takes effect at once: every reader takes them from `gateway.config` per use. */
/** The longest reload error kept in status and events. */
const MAX_ERROR_CHARS = 2_000;

export const LIVE_CONFIG_KEYS = ['allowCommands', 'denyCommands', 'invokeTimeoutMs', 'autoApproveLoopback', 'allowedOrigins', 'logging'] as const satisfies readonly (keyof GatewayConfig)[];

/** How each GatewayConfig field is named in tether.json, for messages. */
const FILE_KEY: Partial<Record<keyof GatewayConfig, string>> = {
  allowCommands: 'nodes.allowCommands',
  denyCommands: 'nodes.denyCommands',
  invokeTimeoutMs: 'nodes.invokeTimeoutMs',
  autoApproveLoopback: 'pairing.autoApproveLoopback',
  allowedOrigins: 'gateway.allowedOrigins',
  host: 'gateway.host',
  port: 'gateway.port',
  authMode: 'gateway.auth.mode',
  token: 'gateway.auth.token',
  tickIntervalMs: 'gateway.tickIntervalMs',
  tls: 'gateway.tls',
  agent: 'agent',
  discovery: 'discovery',
  channels: 'channels',
};

export interface ConfigState {
  ok: boolean;
  path: string;
  /** When the current state began (the last good load, or the first failure of this run). */
  since: number;
  error?: string;
  /** Keys changed on disk that wait for a restart. */
  restartRequired?: string[];
}

export interface ConfigReloadEvent {
  ok: boolean;
  path: string;
  ts: number;
  error?: string;
  applied?: string[];
  restartRequired?: string[];
}

export interface ConfigReloaderOptions {
  stateDir: string;
  overrides?: GatewayOverrides;
  env?: NodeJS.ProcessEnv;
  files: string[];
  getConfig(): GatewayConfig;
  setConfig(config: GatewayConfig): void;
  log: Logger;
  emit(event: ConfigReloadEvent): void;
  debounceMs?: number;
}

export class ConfigReloader {
  private state: ConfigState;
  private readonly path: string;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private files: string[];
  private readonly onHup = () => {
    this.options.log.info('SIGHUP: reloading the configuration');
    this.reload();
  };

  constructor(private readonly options: ConfigReloaderOptions) {
    this.path = options.getConfig().configPath;
    this.files = options.files;
    this.state = { ok: true, path: this.path, since: Date.now() };
  }

  status(): ConfigState {
    return { ...this.state, ...(this.state.restartRequired ? { restartRequired: [...this.state.restartRequired] } : {}) };
  }

  start(): this {
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, name) => {
        const file = name ? String(name) : undefined;
        if (file === undefined || this.files.some((f) => basename(f) === file)) this.schedule();
      });
      this.watcher.on('error', (error) => this.options.log.warn(`config watch stopped (${error.message}); send SIGHUP to reload tether.json`));
    } catch (error) {
      this.options.log.warn(`cannot watch ${this.path} (${(error as Error).message}); send SIGHUP to reload it`);
    }
    process.on('SIGHUP', this.onHup);
    return this;
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    process.off('SIGHUP', this.onHup);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), this.options.debounceMs ?? 150);
    this.timer.unref();
  }

  /** Loads the file now; returns what happened (also logged and emitted). */
  reload(): ConfigReloadEvent {
    const path = this.path;
    let next: GatewayConfig;
    try {
      const loaded = resolveGatewayConfigWithFiles(this.options.stateDir, this.options.overrides, this.options.env ?? process.env);
      next = loaded.config;
      this.files = loaded.files;
    } catch (error) {
      // Operators with operator.read see it in status and the config event: no secret, and bounded
      // (a file with thousands of unknown keys would otherwise ride on every status answer).
      const full = redactStrict((error as Error).message);
      const message = full.length > MAX_ERROR_CHARS ? `${full.slice(0, MAX_ERROR_CHARS)}… (${full.length - MAX_ERROR_CHARS} more characters; run tether config validate)` : full;
      const unchanged = !this.state.ok && this.state.error === message;
      this.state = { ok: false, path, since: unchanged ? this.state.since : Date.now(), error: message, ...(this.state.restartRequired ? { restartRequired: this.state.restartRequired } : {}) };
      this.options.log.error(`config reload failed, the last good configuration stays in force: ${message}`);
      const event: ConfigReloadEvent = { ok: false, path, ts: Date.now(), error: message };
      this.options.emit(event);
      return event;
    }
    const current = this.options.getConfig();
    const applied: string[] = [];
    const live: Partial<GatewayConfig> = {};
    for (const key of LIVE_CONFIG_KEYS) {
      if (!isDeepStrictEqual(current[key], next[key])) {
        applied.push(FILE_KEY[key] ?? key);
        (live as Record<string, unknown>)[key] = next[key];
      }
    }
    // The running config keeps its old values for these, so comparing with it says what waits for a restart.
    const restartRequired = (Object.keys(next) as (keyof GatewayConfig)[])
      .filter((key) => !(LIVE_CONFIG_KEYS as readonly string[]).includes(key) && !isDeepStrictEqual(current[key], next[key]))
      .map((key) => FILE_KEY[key] ?? key)
      .sort();
    const changedSinceLoad = restartRequired.filter((key) => !(this.state.restartRequired ?? []).includes(key));
    if (applied.length > 0) this.options.setConfig({ ...current, ...live });
    const wasFailing = !this.state.ok;
    this.state = { ok: true, path, since: wasFailing || applied.length > 0 || changedSinceLoad.length > 0 || restartRequired.length !== (this.state.restartRequired ?? []).length ? Date.now() : this.state.since, ...(restartRequired.length ? { restartRequired } : {}) };
    if (applied.length === 0 && changedSinceLoad.length === 0 && !wasFailing) {
      this.options.log.debug(`config reloaded: nothing changed`);
    } else {
      this.options.log.info(
        `config reloaded from ${path}: ${applied.length ? `applied ${applied.join(', ')}` : 'nothing to apply live'}${restartRequired.length ? `; restart the gateway to apply ${restartRequired.join(', ')}` : ''}`,
      );
    }
    const event: ConfigReloadEvent = { ok: true, path, ts: Date.now(), applied, restartRequired };
    if (applied.length > 0 || changedSinceLoad.length > 0 || wasFailing) this.options.emit(event);
    return event;
  }
}
