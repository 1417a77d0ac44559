/**
 * Params and results of the `camera.*` node commands, with OpenClaw's field names (its iOS/Android/macOS
 * nodes and its agent tool use these shapes, so a compatible node must too).
 */
import { MediaPayloadFields } from './media.js';
import { Type, type Static } from '@sinclair/typebox';

/** A snapped JPEG is recompressed until its bytes fit under this (OpenClaw's 5 MB cap). */
export const CAMERA_SNAP_DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const CAMERA_SNAP_DEFAULT_QUALITY = 0.9;
export const CAMERA_CLIP_DEFAULT_DURATION_MS = 3_000;
export const CAMERA_CLIP_MAX_DURATION_MS = 60_000;

export const CameraFacingSchema = Type.Union([Type.Literal('front'), Type.Literal('back')], {
  $id: 'CameraFacing',
  description: 'Which camera to use on devices that have a front and a back one; a hint elsewhere.',
});
export type CameraFacing = Static<typeof CameraFacingSchema>;

const deviceId = Type.String({ minLength: 1, maxLength: 256, description: 'An id from camera.list.' });

export const CameraListParamsSchema = Type.Object({}, { additionalProperties: false, $id: 'CameraListParams' });
export type CameraListParams = Static<typeof CameraListParamsSchema>;

export const CameraDeviceSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    position: Type.Optional(Type.String({ description: '"front", "back" or "external" when known.' })),
    deviceType: Type.Optional(Type.String()),
    backend: Type.String({ description: 'How the node captures from it: "v4l2", "rpicam", "avfoundation", "lavfi", …' }),
  },
  { additionalProperties: false, $id: 'CameraDevice' },
);
export type CameraDevice = Static<typeof CameraDeviceSchema>;

export const CameraListResultSchema = Type.Object(
  { devices: Type.Array(CameraDeviceSchema) },
  { additionalProperties: false, $id: 'CameraListResult' },
);
export type CameraListResult = Static<typeof CameraListResultSchema>;

export const CameraSnapParamsSchema = Type.Object(
  {
    facing: Type.Optional(CameraFacingSchema),
    deviceId: Type.Optional(deviceId),
    maxWidth: Type.Optional(Type.Integer({ minimum: 16, maximum: 8192, description: 'Downscale to at most this width.' })),
    quality: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: CAMERA_SNAP_DEFAULT_QUALITY, description: 'JPEG quality, 0..1.' })),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'Warm-up before the frame is taken.' })),
    format: Type.Optional(Type.Literal('jpg')),
  },
  { additionalProperties: false, $id: 'CameraSnapParams' },
);
export type CameraSnapParams = Static<typeof CameraSnapParamsSchema>;

export const CameraSnapResultSchema = Type.Object(
  {
    format: Type.Literal('jpg'),
    ...MediaPayloadFields,
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false, $id: 'CameraSnapResult' },
);
export type CameraSnapResult = Static<typeof CameraSnapResultSchema>;

export const CameraClipParamsSchema = Type.Object(
  {
    durationMs: Type.Optional(
      Type.Integer({ minimum: 100, maximum: CAMERA_CLIP_MAX_DURATION_MS, default: CAMERA_CLIP_DEFAULT_DURATION_MS }),
    ),
    includeAudio: Type.Optional(Type.Boolean({ description: 'Record audio too (default false on Linux).' })),
    deviceId: Type.Optional(deviceId),
    facing: Type.Optional(CameraFacingSchema),
    format: Type.Optional(Type.Literal('mp4')),
  },
  { additionalProperties: false, $id: 'CameraClipParams' },
);
export type CameraClipParams = Static<typeof CameraClipParamsSchema>;

export const CameraClipResultSchema = Type.Object(
  {
    format: Type.Literal('mp4'),
    ...MediaPayloadFields,
    durationMs: Type.Integer({ minimum: 0 }),
    hasAudio: Type.Boolean(),
  },
  { additionalProperties: false, $id: 'CameraClipResult' },
);
export type CameraClipResult = Static<typeof CameraClipResultSchema>;

/** Every `camera.*` node command, by name, with its schemas. */
export const CAMERA_COMMANDS = {
  'camera.list': { params: CameraListParamsSchema, result: CameraListResultSchema },
  'camera.snap': { params: CameraSnapParamsSchema, result: CameraSnapResultSchema },
  'camera.clip': { params: CameraClipParamsSchema, result: CameraClipResultSchema },
} as const;
