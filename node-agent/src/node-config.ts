/**
 * The node's capture settings, `<stateDir>/node-config.json`: which camera, display and location
 * sources to use. Written by the owner by hand, so every problem names the key, the file and the fix.
 * Validated with a TypeBox schema; the first problem is put in our words (key path, rule, what was found).
 */
import { join } from 'node:path';
import { readJsonFile } from '@tether/pairing';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';

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
  const problem = check(raw);
  if (problem) throw new NodeConfigError(path, problem);
  return withDefaults(raw as RawNodeConfig);
}

// A TypeBox schema (the node already carries TypeBox through protocol/), with our own wording of its
// first error: the key path, what it must be and what was found, as the hand-written checks said it.
const NonEmpty = Type.String({ minLength: 1, pattern: '\\S' });
const PositiveInt = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const strict = { additionalProperties: false } as const;

export const NodeConfigFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    camera: Type.Optional(
      Type.Object(
        {
          device: Type.Optional(NonEmpty),
          source: Type.Optional(NonEmpty),
          width: Type.Optional(Type.Integer({ minimum: 1, maximum: 16384 })),
          height: Type.Optional(Type.Integer({ minimum: 1, maximum: 16384 })),
          maxBytes: Type.Optional(PositiveInt),
        },
        strict,
      ),
    ),
    screen: Type.Optional(Type.Object({ display: Type.Optional(NonEmpty) }, strict)),
    location: Type.Optional(
      Type.Object(
        {
          fixed: Type.Optional(
            Type.Object(
              {
                lat: Type.Number({ minimum: -90, maximum: 90 }),
                lon: Type.Number({ minimum: -180, maximum: 180 }),
                accuracyMeters: Type.Optional(Type.Number({ minimum: 0 })),
                altitudeMeters: Type.Optional(Type.Number()),
              },
              strict,
            ),
          ),
          gpsd: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean()), host: Type.Optional(NonEmpty), port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })) }, strict)),
          geoclue: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
    media: Type.Optional(Type.Object({ inlineMaxBytes: Type.Optional(PositiveInt) }, strict)),
  },
  strict,
);

/** Why `value` does not match the file schema (its first problem, in words), or undefined. */
function check(value: unknown): string | undefined {
  const first = Value.Errors(NodeConfigFileSchema, value).First();
  if (!first) return undefined;
  const segments = first.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const at = segments.join('.');
  if (first.type === ValueErrorType.ObjectRequiredProperty) return `missing required key "${at}"`;
  if (first.type === ValueErrorType.ObjectAdditionalProperties) {
    const parent = schemaAt(NodeConfigFileSchema, segments.slice(0, -1));
    return `unknown key "${at}"; allowed keys here are ${Object.keys(parent?.properties ?? {}).join(', ')}`;
  }
  return describeMismatch(at, first.schema as TSchema, first.value);
}

function schemaAt(schema: TSchema, segments: readonly string[]): TSchema | undefined {
  let current: TSchema | undefined = schema;
  for (const segment of segments) current = (current?.properties as Record<string, TSchema> | undefined)?.[segment];
  return current;
}

function describeMismatch(at: string, schema: TSchema, value: unknown): string {
  const name = at === '' ? 'the top level' : `"${at}"`;
  const found = `(found ${JSON.stringify(value)})`;
  if (schema.const !== undefined) return `${name} must be ${JSON.stringify(schema.const)} ${found}`;
  switch (schema.type) {
    case 'string':
      return `${name} must be a non-empty string ${found}`;
    case 'boolean':
      return `${name} must be true or false ${found}`;
    case 'object':
      return `${name} must be a JSON object ${found}`;
    case 'integer':
    case 'number': {
      const what = schema.type === 'integer' ? 'an integer' : 'a number';
      const { minimum: min, maximum: max } = schema as { minimum?: number; maximum?: number };
      const range = min !== undefined && max !== undefined ? ` between ${min} and ${max}` : min !== undefined ? ` ≥ ${min}` : '';
      return `${name} must be ${what}${range} ${found}`;
    }
    default:
      return `${name} is not valid ${found}`;
  }
}

/** The file's shape once `check` has passed (Static of the schema, spelt out for readers). */
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
