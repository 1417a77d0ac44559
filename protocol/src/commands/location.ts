/**
 * Params and result of `location.get`. Field names follow OpenClaw's node protocol, so its agent tool
 * and its nodes interoperate with ours.
 */
import { Type, type Static } from '@sinclair/typebox';

export const LOCATION_GET_DEFAULT_TIMEOUT_MS = 10_000;
/** Sources a Tether node reports; other nodes (phones) may also say "wifi", "cell" or "unknown". */
export const LOCATION_SOURCES = ['fixed', 'gps', 'geoclue', 'wifi', 'cell', 'unknown'] as const;
export type LocationSource = (typeof LOCATION_SOURCES)[number];

export const LocationGetParamsSchema = Type.Object(
  {
    /** A hint: GeoClue is asked for this accuracy level; gpsd and a fixed location ignore it. */
    desiredAccuracy: Type.Optional(Type.Union([Type.Literal('coarse'), Type.Literal('balanced'), Type.Literal('precise')])),
    /** A fix older than this is ignored. */
    maxAgeMs: Type.Optional(Type.Integer({ minimum: 0 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000, default: LOCATION_GET_DEFAULT_TIMEOUT_MS })),
  },
  { additionalProperties: false, $id: 'LocationGetParams' },
);
export type LocationGetParams = Static<typeof LocationGetParamsSchema>;

export const LocationGetResultSchema = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    accuracyMeters: Type.Number({ minimum: 0 }),
    altitudeMeters: Type.Optional(Type.Number()),
    speedMps: Type.Optional(Type.Number({ minimum: 0 })),
    headingDeg: Type.Optional(Type.Number({ minimum: 0, maximum: 360 })),
    /** ISO 8601, when the fix was taken. */
    timestamp: Type.String({ minLength: 1 }),
    isPrecise: Type.Boolean(),
    /** One of LOCATION_SOURCES for Tether nodes; kept open so other implementations' values pass. */
    source: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false, $id: 'LocationGetResult' },
);
export type LocationGetResult = Static<typeof LocationGetResultSchema>;

export const LOCATION_COMMANDS = {
  'location.get': { params: LocationGetParamsSchema, result: LocationGetResultSchema },
} as const;
