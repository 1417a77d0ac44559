/**
 * Gateway configuration: `<stateDir>/tether.json` (JSON5) validated with zod, then flags and
 * environment on top. Precedence for port and token: flag > env > config file > default.
 * A bad key is reported with its dotted path and the fix.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigDocumentError, loadConfigDocument } from './config/include.js';
import { EnvSubstitutionError, substituteEnv } from './config/env-substitution.js';
import { DEFAULT_GATEWAY_PORT, TICK_INTERVAL_MS, DEFAULT_INVOKE_TIMEOUT_MS } from '@tether/protocol';
import { unknownCommandNames } from './nodes/command-policy.js';
import { AGENT_CONFIG_KEYS, AgentFileSchema, resolveAgentConfig, type AgentConfig } from './agent/agent-config.js';
import { channelConfigKeys, ChannelsConfigError, ChannelsFileSchema, resolveChannelsConfig, type ChannelsConfig, type ChannelsFileConfig } from './channels/channels-config.js';
import { DiscoveryFileSchema, MdnsFlagError, resolveDiscoveryConfig, type DiscoveryConfig, type MdnsMode } from './discovery/discovery-config.js';

export const CONFIG_FILE_NAME = 'tether.json';

const LogLevelSchema = z.enum(['debug', 'info', 'warn', 'error', 'silent'], { message: 'must be debug, info, warn, error or silent' });

export const GatewayFileSchema = z
  .object({
    gateway: z
      .object({
        host: z.string().min(1).optional(),
        port: z.number().int().min(0).max(65535).optional(),
        auth: z
          .object({
            mode: z.enum(['token', 'none']).optional(),
            token: z.string().min(16, 'must be at least 16 characters').optional(),
          })
          .strict()
          .optional(),
        tickIntervalMs: z.number().int().min(100).max(300_000).optional(),
        allowedOrigins: z.array(z.string().refine(isOrigin, 'must be an origin such as "https://host.example" or "http://127.0.0.1:18789" (scheme, host and port only)')).optional(),
        tls: z
          .object({
            enabled: z.union([z.boolean(), z.literal('auto')], { message: 'must be true, false or "auto" (TLS beyond loopback)' }).optional(),
            certPath: z.string().min(1).optional(),
            keyPath: z.string().min(1).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    pairing: z
      .object({
        autoApproveLoopback: z.boolean().optional(),
      })
      .strict()
      .optional(),
    nodes: z
      .object({
        invokeTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
        allowCommands: z.array(z.string().min(1)).optional(),
        denyCommands: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    agent: AgentFileSchema.optional(),
    discovery: DiscoveryFileSchema.optional(),
    channels: ChannelsFileSchema.optional(),
    logging: z
      .object({
        level: LogLevelSchema.optional(),
        subsystems: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,31}(\/[a-z][a-z0-9-]{0,31}){0,3}$/, 'must be a subsystem name such as channels or channels/telegram'), LogLevelSchema).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type GatewayConfigFile = z.infer<typeof GatewayFileSchema>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface GatewayConfig {
  stateDir: string;
  host: string;
  port: number;
  authMode: 'token' | 'none';
  /** Explicit token from flag, env or config; otherwise the state dir's generated token is used. */
  token?: string;
  autoApproveLoopback: boolean;
  tickIntervalMs: number;
  /** Browser origins whose pages may open a WebSocket here; every other upgrade with an Origin is refused. */
  allowedOrigins: string[];
  invokeTimeoutMs: number;
  allowCommands: string[];
  denyCommands: string[];
  agent: AgentConfig;
  discovery: DiscoveryConfig;
  channels: ChannelsConfig;
  configPath: string;
  /** Log levels (`logging.level`, `logging.subsystems`); TETHER_LOG_LEVEL wins for what it names. Applied live. */
  logging: { level?: 'debug' | 'info' | 'warn' | 'error' | 'silent'; subsystems?: Record<string, 'debug' | 'info' | 'warn' | 'error' | 'silent'> };
  /** Serve https/wss. Off only on loopback unless forced on; beyond loopback it is on unless turned off. */
  tls: { enabled: boolean; certPath?: string; keyPath?: string };
}

export interface GatewayOverrides {
  host?: string;
  port?: number;
  token?: string;
  autoApproveLoopback?: boolean;
  mdns?: MdnsMode;
  /** `--tls on|off|auto` */
  tls?: boolean | 'auto';
}

export interface ReadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Validate this text as the main file instead of reading it (a candidate edit, before it is written). */
  text?: string;
  /** The config file's path (default: `<stateDir>/tether.json`). */
  path?: string;
}

export interface ConfigFileRead {
  file: GatewayConfigFile;
  /** Every file read: the main file and its `$include`s (the reloader watches them). */
  files: string[];
}

/** Reads tether.json: JSON5, `$include`s merged, `${ENV}` substituted, then the schema. */
export function readConfigFileWithIncludes(stateDir: string, options: ReadConfigOptions = {}): ConfigFileRead {
  const path = options.path ?? join(stateDir, CONFIG_FILE_NAME);
  let value: unknown;
  let files: string[];
  try {
    const loaded = loadConfigDocument(path, options.text);
    files = loaded.files;
    value = substituteEnv(loaded.value, options.env ?? process.env);
  } catch (error) {
    if (error instanceof ConfigDocumentError) throw new ConfigError(error.message);
    if (error instanceof EnvSubstitutionError) throw new ConfigError(`${path}: ${error.message}`);
    throw error;
  }
  const parsed = GatewayFileSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(describeIssues(path, parsed.error.issues));
  return { file: parsed.data, files };
}

export function readConfigFile(stateDir: string, env: NodeJS.ProcessEnv = process.env): GatewayConfigFile {
  return readConfigFileWithIncludes(stateDir, { env }).file;
}

const KNOWN_KEYS: Record<string, string[]> = {
  '': ['gateway', 'pairing', 'nodes', 'agent', 'discovery', 'channels', 'logging'],
  logging: ['level', 'subsystems'],
  ...channelConfigKeys(),
  discovery: ['mdns', 'name', 'interface'],
  gateway: ['host', 'port', 'auth', 'tickIntervalMs', 'allowedOrigins', 'tls'],
  'gateway.auth': ['mode', 'token'],
  'gateway.tls': ['enabled', 'certPath', 'keyPath'],
  pairing: ['autoApproveLoopback'],
  nodes: ['invokeTimeoutMs', 'allowCommands', 'denyCommands'],
  agent: AGENT_CONFIG_KEYS,
  'agent.profile': ['vision', 'toolStreaming', 'parallelToolCalls', 'contextWindow'],
};

function describeIssues(path: string, issues: z.core.$ZodIssue[]): string {
  const lines = issues.map((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const allowed = KNOWN_KEYS[at] ?? [];
      return issue.keys
        .map((key) => {
          const full = at ? `${at}.${key}` : key;
          const guess = closest(key, allowed);
          return `unknown key "${full}"${guess ? `: did you mean "${at ? `${at}.` : ''}${guess}"?` : ''} (allowed here: ${allowed.join(', ')})`;
        })
        .join('; ');
    }
    return `"${at || '(root)'}": ${issue.message}`;
  });
  return `invalid configuration in ${path}: ${lines.join('; ')}. Edit the file to fix it, or delete it to use defaults.`;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function envPort(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.TETHER_GATEWAY_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new ConfigError(`TETHER_GATEWAY_PORT must be a port number from 0 to 65535, got "${raw}"`);
  }
  return port;
}

/** The serialised origin of `value` when it is exactly an origin (no path, query or credentials). */
function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password || url.search || url.hash) return undefined;
    if (url.pathname !== '/' || value.replace(/\/$/, '') !== value.replace(/\/$/, '').trim()) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

function isOrigin(value: string): boolean {
  return originOf(value) !== undefined;
}

/** Browsers send origins lower-cased without a default port; compare in that form. */
export function normalizeOrigin(value: string): string {
  return originOf(value) ?? value;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function channelsConfig(file: GatewayConfigFile, env: NodeJS.ProcessEnv, stateDir: string): ChannelsConfig {
  try {
    return resolveChannelsConfig(file.channels as ChannelsFileConfig | undefined, env, stateDir);
  } catch (error) {
    if (error instanceof ChannelsConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

function discoveryConfig(file: GatewayConfigFile, overrides: GatewayOverrides, env: NodeJS.ProcessEnv): DiscoveryConfig {
  try {
    return resolveDiscoveryConfig(file.discovery, overrides.mdns, env);
  } catch (error) {
    if (error instanceof MdnsFlagError) throw new ConfigError(error.message);
    throw error;
  }
}

/** Merges file, environment and flags into the effective configuration, and checks the combination. */
export function resolveGatewayConfig(stateDir: string, overrides: GatewayOverrides = {}, env: NodeJS.ProcessEnv = process.env, read?: ReadConfigOptions): GatewayConfig {
  return resolveGatewayConfigWithFiles(stateDir, overrides, env, read).config;
}

/** resolveGatewayConfig, and the files it read (the main file and its includes). */
export function resolveGatewayConfigWithFiles(stateDir: string, overrides: GatewayOverrides = {}, env: NodeJS.ProcessEnv = process.env, read: ReadConfigOptions = {}): { config: GatewayConfig; files: string[] } {
  const { file, files } = readConfigFileWithIncludes(stateDir, { ...read, env });
  return { config: checkedConfig(stateDir, file, overrides, env), files };
}

function checkedConfig(stateDir: string, file: GatewayConfigFile, overrides: GatewayOverrides, env: NodeJS.ProcessEnv): GatewayConfig {
  const token = overrides.token ?? (env.TETHER_GATEWAY_TOKEN || undefined) ?? file.gateway?.auth?.token;
  const config: GatewayConfig = {
    stateDir,
    host: overrides.host ?? file.gateway?.host ?? '127.0.0.1',
    port: overrides.port ?? envPort(env) ?? file.gateway?.port ?? DEFAULT_GATEWAY_PORT,
    authMode: file.gateway?.auth?.mode ?? 'token',
    autoApproveLoopback: overrides.autoApproveLoopback ?? file.pairing?.autoApproveLoopback ?? true,
    tickIntervalMs: file.gateway?.tickIntervalMs ?? TICK_INTERVAL_MS,
    allowedOrigins: (file.gateway?.allowedOrigins ?? []).map(normalizeOrigin),
    invokeTimeoutMs: file.nodes?.invokeTimeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS,
    allowCommands: file.nodes?.allowCommands ?? [],
    denyCommands: file.nodes?.denyCommands ?? [],
    agent: resolveAgentConfig(file.agent, join(stateDir, 'agents', 'main'), env),
    discovery: discoveryConfig(file, overrides, env),
    channels: channelsConfig(file, env, stateDir),
    configPath: join(stateDir, CONFIG_FILE_NAME),
    logging: file.logging ?? {},
    tls: { enabled: false },
  };
  const tlsFile = file.gateway?.tls;
  const tlsSetting = overrides.tls ?? tlsFile?.enabled ?? 'auto';
  config.tls = {
    enabled: tlsSetting === 'auto' ? !isLoopbackHost(config.host) : tlsSetting,
    ...(tlsFile?.certPath ? { certPath: resolve(stateDir, tlsFile.certPath) } : {}),
    ...(tlsFile?.keyPath ? { keyPath: resolve(stateDir, tlsFile.keyPath) } : {}),
  };
  if (Boolean(tlsFile?.certPath) !== Boolean(tlsFile?.keyPath)) {
    throw new ConfigError(`gateway.tls in ${join(stateDir, CONFIG_FILE_NAME)} needs both certPath and keyPath, or neither to use the generated certificate`);
  }
  const unknown = unknownCommandNames([...config.allowCommands, ...config.denyCommands]);
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown command name(s) in nodes.allowCommands/denyCommands of ${config.configPath}: ${unknown.join(', ')}. ` +
        `Use exact names such as camera.snap or a family such as camera.*; a misspelt name would silently do nothing.`,
    );
  }
  if (token !== undefined) {
    if (token.length < 16) throw new ConfigError('the gateway token must be at least 16 characters; use a long random value');
    config.token = token;
  }
  if (config.authMode === 'none' && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `refusing to listen on ${config.host} without auth: set gateway.auth.mode to "token" in ${join(stateDir, CONFIG_FILE_NAME)}, or bind to 127.0.0.1`,
    );
  }
  return config;
}

export { setConfigValue, unsetConfigValue, getConfigValue, validateConfigFile, configFilePath, type ConfigEditResult } from './config/edit.js';
export { configJsonSchema } from './config/json-schema.js';
export { backupPathOf } from './config/atomic-write.js';
