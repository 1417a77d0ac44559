/**
 * camera.list, camera.snap and camera.clip. Each call re-selects the backend (a webcam may have been
 * plugged in since start), captures into a private temp dir, and returns OpenClaw's result shapes.
 */
import { readFile } from 'node:fs/promises';
import {
  CAMERA_CLIP_DEFAULT_DURATION_MS,
  CAMERA_SNAP_DEFAULT_MAX_BYTES,
  CAMERA_SNAP_DEFAULT_QUALITY,
  CameraClipParamsSchema,
  CameraListParamsSchema,
  CameraSnapParamsSchema,
  createValidator,
  type CameraClipResult,
  type CameraListResult,
  type CameraSnapResult,
} from '@tether/protocol';
import { CommandError, type CapabilityProvider, type Detection } from '../capability.js';
import { MediaErrorCode, ensureOutput, validateParams } from '../media/errors.js';
import { readRecordedClip } from '../media/ffmpeg.js';
import { encodeJpeg } from '../media/image.js';
import { toMediaResult } from '../media/result.js';
import { withTempDir } from '../media/temp.js';
import { selectCameraBackend } from './select.js';
import type { CameraBackend, CameraContext, CameraSettings } from './types.js';

export const CAMERA_COMMAND_NAMES = ['camera.list', 'camera.snap', 'camera.clip'] as const;

const listParams = createValidator(CameraListParamsSchema);
const snapParams = createValidator(CameraSnapParamsSchema);
const clipParams = createValidator(CameraClipParamsSchema);

export function createCameraProvider(settings: CameraSettings = {}): CapabilityProvider {
  const env = settings.env ?? process.env;
  const platform = settings.platform ?? process.platform;
  const maxBytes = settings.maxBytes ?? CAMERA_SNAP_DEFAULT_MAX_BYTES;

  const withBackend = async <T>(signal: AbortSignal, use: (backend: CameraBackend, ctx: CameraContext) => Promise<T>): Promise<T> => {
    const selection = await selectCameraBackend(settings, env, platform);
    if (!selection.ok) throw new CommandError(MediaErrorCode.CAMERA_UNAVAILABLE, `no camera available: ${selection.reason}. To fix: ${selection.fix}`);
    return withTempDir('camera', (tmpDir) => use(selection.backend, { env, platform, settings, signal, tmpDir }));
  };

  const list = async (params: unknown, signal: AbortSignal): Promise<CameraListResult> => {
    validateParams('camera.list', listParams, params);
    return withBackend(signal, async (backend, ctx) => ({ devices: await backend.list(ctx) }));
  };

  const snap = async (params: unknown, signal: AbortSignal): Promise<CameraSnapResult> => {
    const p = validateParams('camera.snap', snapParams, params);
    return withBackend(signal, async (backend, ctx) => {
      const file = await backend.snap(ctx, { deviceId: p.deviceId, facing: p.facing, delayMs: p.delayMs ?? 0 });
      await ensureOutput(file, MediaErrorCode.CAMERA_UNAVAILABLE, noOutputMessage(backend.name));
      const image = await encodeJpeg(await readFile(file), { maxWidth: p.maxWidth, quality: p.quality ?? CAMERA_SNAP_DEFAULT_QUALITY, maxBytes }).catch(
        (error: unknown) => {
          throw new CommandError(MediaErrorCode.CAMERA_UNAVAILABLE, `the ${backend.name} camera returned an image that could not be encoded: ${errorText(error)}`);
        },
      );
      return toMediaResult(image.buffer, { format: 'jpg' as const, width: image.width, height: image.height });
    });
  };

  const clip = async (params: unknown, signal: AbortSignal): Promise<CameraClipResult> => {
    const p = validateParams('camera.clip', clipParams, params);
    const durationMs = p.durationMs ?? CAMERA_CLIP_DEFAULT_DURATION_MS;
    // OpenClaw's phones default to audio on; a headless Linux box rarely has a microphone.
    const includeAudio = p.includeAudio ?? platform === 'darwin';
    return withBackend(signal, async (backend, ctx) => {
      const { file, audioRequested } = await backend.clip(ctx, { deviceId: p.deviceId, facing: p.facing, durationMs, includeAudio });
      await ensureOutput(file, MediaErrorCode.CAMERA_UNAVAILABLE, noOutputMessage(backend.name));
      const recorded = await readRecordedClip(file, { durationMs, hasAudio: audioRequested }, env, signal);
      return toMediaResult(recorded.buffer, { format: 'mp4' as const, durationMs: recorded.durationMs, hasAudio: recorded.hasAudio });
    });
  };

  return {
    family: 'camera',
    commands: CAMERA_COMMAND_NAMES,
    async detect(): Promise<Detection> {
      const selection = await selectCameraBackend(settings, env, platform);
      return selection.ok ? { available: true, backend: selection.backend.name } : { available: false, reason: selection.reason, fix: selection.fix };
    },
    run(command, params, signal) {
      if (command === 'camera.list') return list(params, signal);
      if (command === 'camera.snap') return snap(params, signal);
      if (command === 'camera.clip') return clip(params, signal);
      return Promise.reject(new CommandError(MediaErrorCode.UNAVAILABLE, `command not supported: ${command}; the camera provider handles ${CAMERA_COMMAND_NAMES.join(', ')}`));
    },
  };
}



function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function noOutputMessage(backend: string): string {
  return `the ${backend} camera reported success but wrote no output; check camera.list and the camera's connection`;
}
