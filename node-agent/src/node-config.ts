/**
 * The node's capture settings, `<stateDir>/node-config.json`: which camera, display and location
 * sources to use. Written by the owner by hand, so every problem names the key, the file and the fix.
 * Validated by hand (node-agent does not depend on TypeBox, and hand checks give better messages).
 */
import { join } from 'node:path';
import { readJsonFile } from '@tether/pairing';

export const NODE_CONFIG_FILE = 'node-config.json';
export const DEFAULT_GPSD_HOST = '127.0.0.1';
export const DEFAULT_GPSD_PORT = 2947;
export const DEFAULT_INLINE_MAX_BYTES = 1024 * 1024;

export interface FixedLocation {
  lat: number;
  lon: number;
  accuracyMeters?: number;
  altitudeMeters?: number;
}

/** The file with its defaults applied. */
export interface NodeConfig {
  version: 1;
  camera: { device?: string; source?: string; width?: number; height?: number; maxBytes?: number };
  screen: { display?: string };
  location: { fixed?: FixedLocation; gpsd: { enabled: boolean; host: string; port: number }; geoclue: boolean };
  media: { inlineMaxBytes: number };
}

export class NodeConfigError extends Error {
  override readonly name = 'NodeConfigError';
  readonly code = 'NODE_CONFIG_INVALID';

  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(
      `node config ${path} is invalid: ${problem}. Fix the file by hand or delete it to use the defaults ` +
        `(format: {"version":1,"camera":{…},"screen":{…},"location":{…},"media":{…}})`,
    );
  }
}

export function nodeConfigPath(stateDir: string): string {
  return join(stateDir, NODE_CONFIG_FILE);
}

export function defaultNodeConfig(): NodeConfig {
  return {
    version: 1,
    camera: {},
    screen: {},
    location: { gpsd: { enabled: true, host: DEFAULT_GPSD_HOST, port: DEFAULT_GPSD_PORT }, geoclue: true },
    media: { inlineMaxBytes: DEFAULT_INLINE_MAX_BYTES },
  };
}

/** Reads and validates the file; the defaults when it does not exist. Throws NodeConfigError otherwise. */
export function readNodeConfig(stateDir: string): NodeConfig {
  const path = nodeConfigPath(stateDir);
  let raw: unknown;
  try {
    raw = readJsonFile(path);
  } catch (error) {
    throw new NodeConfigError(path, error instanceof SyntaxError ? `not valid JSON (${error.message})` : errorText(error));
  }
  if (raw === undefined) return defaultNodeConfig();
  const problem = check(raw, FILE_SPEC, '');
  if (problem) throw new NodeConfigError(path, problem);
  return withDefaults(raw as RawNodeConfig);
}

type Spec =
  | { kind: 'string' }
  | { kind: 'boolean' }
  | { kind: 'literal'; value: number }
  | { kind: 'number' | 'int'; min?: number; max?: number }
  | { kind: 'object'; fields: Record<string, Spec>; required?: readonly string[] };

const str: Spec = { kind: 'string' };
const positiveInt: Spec = { kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER };

const FILE_SPEC: Spec = {
  kind: 'object',
  required: ['version'],
  fields: {
    version: { kind: 'literal', value: 1 },
    camera: {
      kind: 'object',
      fields: { device: str, source: str, width: { kind: 'int', min: 1, max: 16384 }, height: { kind: 'int', min: 1, max: 16384 }, maxBytes: positiveInt },
    },
    screen: { kind: 'object', fields: { display: str } },
    location: {
      kind: 'object',
      fields: {
        fixed: {
          kind: 'object',
          required: ['lat', 'lon'],
          fields: {
            lat: { kind: 'number', min: -90, max: 90 },
            lon: { kind: 'number', min: -180, max: 180 },
            accuracyMeters: { kind: 'number', min: 0 },
            altitudeMeters: { kind: 'number' },
          },
        },
        gpsd: { kind: 'object', fields: { enabled: { kind: 'boolean' }, host: str, port: { kind: 'int', min: 1, max: 65535 } } },
        geoclue: { kind: 'boolean' },
      },
    },
    media: { kind: 'object', fields: { inlineMaxBytes: positiveInt } },
  },
};

/** Why `value` does not match `spec`, or undefined. `at` is the dotted key path ('' for the top). */
function check(value: unknown, spec: Spec, at: string): string | undefined {
  const name = at === '' ? 'the top level' : `"${at}"`;
  const found = `(found ${JSON.stringify(value)})`;
  switch (spec.kind) {
    case 'string':
      return typeof value === 'string' && value.trim() !== '' ? undefined : `${name} must be a non-empty string ${found}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${name} must be true or false ${found}`;
    case 'literal':
      return value === spec.value ? undefined : `${name} must be ${spec.value} ${found}`;
    case 'number':
    case 'int': {
      const isNumber = typeof value === 'number' && Number.isFinite(value) && (spec.kind === 'number' || Number.isInteger(value));
      const inRange = isNumber && (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max);
      if (inRange) return undefined;
      const what = spec.kind === 'int' ? 'an integer' : 'a number';
      const range = spec.min !== undefined && spec.max !== undefined ? ` between ${spec.min} and ${spec.max}` : spec.min !== undefined ? ` ≥ ${spec.min}` : '';
      return `${name} must be ${what}${range} ${found}`;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${name} must be a JSON object ${found}`;
      const record = value as Record<string, unknown>;
      const allowed = Object.keys(spec.fields);
      const extra = Object.keys(record).find((key) => !allowed.includes(key));
      if (extra !== undefined) return `unknown key "${keyPath(at, extra)}"; allowed keys here are ${allowed.join(', ')}`;
      const missing = (spec.required ?? []).find((key) => record[key] === undefined);
      if (missing !== undefined) return `missing required key "${keyPath(at, missing)}"`;
      for (const [key, fieldSpec] of Object.entries(spec.fields)) {
        if (record[key] === undefined) continue;
        const problem = check(record[key], fieldSpec, keyPath(at, key));
        if (problem) return problem;
      }
      return undefined;
    }
  }
}

function keyPath(at: string, key: string): string {
  return at === '' ? key : `${at}.${key}`;
}

/** The file's shape once `check` has passed. */
interface RawNodeConfig {
  version: 1;
  camera?: NodeConfig['camera'];
  screen?: NodeConfig['screen'];
  location?: { fixed?: FixedLocation; gpsd?: { enabled?: boolean; host?: string; port?: number }; geoclue?: boolean };
  media?: { inlineMaxBytes?: number };
}

function withDefaults(raw: RawNodeConfig): NodeConfig {
  const defaults = defaultNodeConfig();
  const location = raw.location ?? {};
  return {
    version: 1,
    camera: { ...raw.camera },
    screen: { ...raw.screen },
    location: {
      ...(location.fixed ? { fixed: { ...location.fixed } } : {}),
      gpsd: {
        enabled: location.gpsd?.enabled ?? true,
        host: location.gpsd?.host ?? defaults.location.gpsd.host,
        port: location.gpsd?.port ?? defaults.location.gpsd.port,
      },
      geoclue: location.geoclue ?? defaults.location.geoclue,
    },
    media: { inlineMaxBytes: raw.media?.inlineMaxBytes ?? defaults.media.inlineMaxBytes },
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
