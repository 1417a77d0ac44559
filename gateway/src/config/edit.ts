/**
 * `tether config get|set|unset|validate`: edits of the main tether.json, each validated as the
 * gateway would load it (includes, `${ENV}`, schema, cross-key checks) BEFORE anything is written.
 * The file is rewritten as formatted JSON: comments and JSON5 formatting do not survive, and the
 * result says so (the previous text stays in tether.json.bak).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSON5 from 'json5';
import { CONFIG_FILE_NAME, ConfigError, resolveGatewayConfigWithFiles } from '../config.js';
import { writeConfigAtomic, type WriteFs } from './atomic-write.js';
import { formatConfigPath, getAtPath, parseConfigPath, setAtPath, unsetAtPath, ConfigPathError } from './config-path.js';
import { ConfigDocumentError, isPlainObject, parseConfigText } from './include.js';

export interface ConfigEditOptions {
  stateDir: string;
  env?: NodeJS.ProcessEnv;
  fs?: WriteFs;
}

export interface ConfigEditResult {
  path: string;
  key: string;
  changed: boolean;
  backupPath?: string;
  /** True when the old file had comments or JSON5-only syntax that the rewrite did not keep. */
  formattingLost: boolean;
}

export function configFilePath(stateDir: string): string {
  return join(stateDir, CONFIG_FILE_NAME);
}

function readRaw(path: string): { text: string | undefined; document: Record<string, unknown> } {
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (text === undefined || text.trim() === '') return { text, document: {} };
  let value: unknown;
  try {
    value = parseConfigText(text, path);
  } catch (error) {
    if (error instanceof ConfigDocumentError) throw new ConfigError(error.message);
    throw error;
  }
  if (!isPlainObject(value)) throw new ConfigError(`${path} must hold an object ({ … }) at the top level`);
  return { text, document: value };
}

function segmentsOf(key: string) {
  try {
    return parseConfigPath(key);
  } catch (error) {
    if (error instanceof ConfigPathError) throw new ConfigError(error.message);
    throw error;
  }
}

/** The raw value at `key` in the main file (no includes, no `${ENV}`: a secret stays a reference). */
export function getConfigValue(stateDir: string, key: string): { found: boolean; value?: unknown } {
  const value = getAtPath(readRaw(configFilePath(stateDir)).document, segmentsOf(key));
  return value === undefined ? { found: false } : { found: true, value };
}

function isPlainJson(text: string | undefined): boolean {
  if (text === undefined) return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function write(options: ConfigEditOptions, key: string, before: string | undefined, next: Record<string, unknown>): ConfigEditResult {
  const path = configFilePath(options.stateDir);
  const text = `${JSON.stringify(next, null, 2)}\n`;
  // The whole load as the gateway does it; a ConfigError here means nothing is written.
  resolveGatewayConfigWithFiles(options.stateDir, {}, options.env ?? process.env, { text });
  if (before === text) return { path, key, changed: false, formattingLost: false };
  let written;
  try {
    written = writeConfigAtomic(path, text, options.fs);
  } catch (error) {
    throw new ConfigError(`could not write ${path}: ${(error as Error).message}; the file was left as it was`);
  }
  return { path, key, changed: true, formattingLost: !isPlainJson(before), ...(written.backupPath ? { backupPath: written.backupPath } : {}) };
}

export function setConfigValue(options: ConfigEditOptions, key: string, valueText: string): ConfigEditResult {
  const segments = segmentsOf(key);
  const path = configFilePath(options.stateDir);
  const { text, document } = readRaw(path);
  let value: unknown;
  try {
    value = JSON5.parse(valueText);
  } catch {
    value = valueText;
  }
  let next: Record<string, unknown>;
  try {
    next = setAtPath(document, segments, value);
  } catch (error) {
    if (error instanceof ConfigPathError) throw new ConfigError(error.message);
    throw error;
  }
  return write(options, formatConfigPath(segments), text, next);
}

export function unsetConfigValue(options: ConfigEditOptions, key: string): ConfigEditResult {
  const segments = segmentsOf(key);
  const path = configFilePath(options.stateDir);
  const { text, document } = readRaw(path);
  const next = unsetAtPath(document, segments);
  if (!next) return { path, key: formatConfigPath(segments), changed: false, formattingLost: false };
  return write(options, formatConfigPath(segments), text, next);
}

/** Validates a file as the gateway would load it (default: the state dir's tether.json). */
export function validateConfigFile(stateDir: string, file?: string, env: NodeJS.ProcessEnv = process.env): { path: string; files: string[] } {
  const path = file ?? configFilePath(stateDir);
  const { files } = resolveGatewayConfigWithFiles(stateDir, {}, env, { path });
  return { path, files };
}
