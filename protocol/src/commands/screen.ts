/**
 * Params and results of the `screen.*` node commands, with OpenClaw's field names.
 */
import { MediaPayloadFields } from './media.js';
import { Type, type Static } from '@sinclair/typebox';

export const SCREEN_RECORD_DEFAULT_DURATION_MS = 10_000;
export const SCREEN_RECORD_MAX_DURATION_MS = 60_000;
export const SCREEN_RECORD_DEFAULT_FPS = 10;

const screenIndex = Type.Integer({ minimum: 0, maximum: 63, default: 0, description: 'Which screen (monitor), from 0.' });

export const ScreenSnapshotParamsSchema = Type.Object(
  {
    screenIndex: Type.Optional(screenIndex),
    maxWidth: Type.Optional(Type.Integer({ minimum: 16, maximum: 8192, description: 'Downscale to at most this width.' })),
    format: Type.Optional(Type.Union([Type.Literal('png'), Type.Literal('jpg')], { default: 'png' })),
    quality: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'JPEG quality, 0..1 (jpg only).' })),
  },
  { additionalProperties: false, $id: 'ScreenSnapshotParams' },
);
export type ScreenSnapshotParams = Static<typeof ScreenSnapshotParamsSchema>;

export const ScreenSnapshotResultSchema = Type.Object(
  {
    format: Type.Union([Type.Literal('png'), Type.Literal('jpg')]),
    ...MediaPayloadFields,
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
    screenIndex: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false, $id: 'ScreenSnapshotResult' },
);
export type ScreenSnapshotResult = Static<typeof ScreenSnapshotResultSchema>;

export const ScreenRecordParamsSchema = Type.Object(
  {
    durationMs: Type.Optional(
      Type.Integer({ minimum: 100, maximum: SCREEN_RECORD_MAX_DURATION_MS, default: SCREEN_RECORD_DEFAULT_DURATION_MS }),
    ),
    fps: Type.Optional(Type.Number({ minimum: 1, maximum: 60, default: SCREEN_RECORD_DEFAULT_FPS })),
    screenIndex: Type.Optional(screenIndex),
    // Accepted for OpenClaw callers; desktop nodes record video only and say so with hasAudio:false.
    includeAudio: Type.Optional(Type.Boolean()),
    format: Type.Optional(Type.Literal('mp4')),
  },
  { additionalProperties: false, $id: 'ScreenRecordParams' },
);
export type ScreenRecordParams = Static<typeof ScreenRecordParamsSchema>;

export const ScreenRecordResultSchema = Type.Object(
  {
    format: Type.Literal('mp4'),
    ...MediaPayloadFields,
    durationMs: Type.Integer({ minimum: 0 }),
    fps: Type.Number(),
    screenIndex: Type.Integer({ minimum: 0 }),
    hasAudio: Type.Boolean(),
  },
  { additionalProperties: false, $id: 'ScreenRecordResult' },
);
export type ScreenRecordResult = Static<typeof ScreenRecordResultSchema>;

/** Every `screen.*` node command, by name, with its schemas. */
export const SCREEN_COMMANDS = {
  'screen.snapshot': { params: ScreenSnapshotParamsSchema, result: ScreenSnapshotResultSchema },
  'screen.record': { params: ScreenRecordParamsSchema, result: ScreenRecordResultSchema },
} as const;
