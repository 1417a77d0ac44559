/** screen.snapshot and screen.record, with OpenClaw's result shapes. */
import { readFile } from 'node:fs/promises';
import {
  CAMERA_SNAP_DEFAULT_MAX_BYTES,
  SCREEN_RECORD_DEFAULT_DURATION_MS,
  SCREEN_RECORD_DEFAULT_FPS,
  ScreenRecordParamsSchema,
  ScreenSnapshotParamsSchema,
  createValidator,
  type ScreenRecordResult,
  type ScreenSnapshotResult,
} from '@tether/protocol';
import { CommandError, type CapabilityProvider, type Detection } from '../capability.js';
import { MediaErrorCode, ensureOutput, validateParams } from '../media/errors.js';
import { readRecordedClip } from '../media/ffmpeg.js';
import { encodeJpeg, encodePng } from '../media/image.js';
import { toMediaResult } from '../media/result.js';
import { withTempDir } from '../media/temp.js';
import { selectScreenBackend } from './select.js';
import type { ScreenBackend, ScreenContext, ScreenSettings } from './types.js';

export const SCREEN_COMMAND_NAMES = ['screen.snapshot', 'screen.record'] as const;

const snapshotParams = createValidator(ScreenSnapshotParamsSchema);
const recordParams = createValidator(ScreenRecordParamsSchema);
const JPEG_DEFAULT_QUALITY = 0.85;

export function createScreenProvider(settings: ScreenSettings = {}): CapabilityProvider {
  const env = settings.env ?? process.env;
  const platform = settings.platform ?? process.platform;

  const withBackend = async <T>(signal: AbortSignal, use: (backend: ScreenBackend, ctx: ScreenContext) => Promise<T>): Promise<T> => {
    const selection = await selectScreenBackend(settings, env, platform);
    if (!selection.ok) throw new CommandError(MediaErrorCode.SCREEN_UNAVAILABLE, `no screen to capture: ${selection.reason}. To fix: ${selection.fix}`);
    return withTempDir('screen', (tmpDir) => use(selection.backend, { env, signal, tmpDir }));
  };

  const snapshot = async (params: unknown, signal: AbortSignal): Promise<ScreenSnapshotResult> => {
    const p = validateParams('screen.snapshot', snapshotParams, params);
    const screenIndex = p.screenIndex ?? 0;
    return withBackend(signal, async (backend, ctx) => {
      const file = await backend.snapshot(ctx, screenIndex);
      await ensureOutput(file, MediaErrorCode.SCREEN_UNAVAILABLE, noOutputMessage(backend.name));
      const raw = await readFile(file);
      const image = await (p.format === 'jpg'
        ? encodeJpeg(raw, { maxWidth: p.maxWidth, quality: p.quality ?? JPEG_DEFAULT_QUALITY, maxBytes: CAMERA_SNAP_DEFAULT_MAX_BYTES, pngWithoutSharp: true })
        : encodePng(raw, { maxWidth: p.maxWidth })
      ).catch((error: unknown) => {
        throw new CommandError(MediaErrorCode.SCREEN_UNAVAILABLE, `the ${backend.name} capture could not be encoded: ${error instanceof Error ? error.message : String(error)}`);
      });
      return toMediaResult(image.buffer, { format: image.format, width: image.width, height: image.height, screenIndex });
    });
  };

  const record = async (params: unknown, signal: AbortSignal): Promise<ScreenRecordResult> => {
    const p = validateParams('screen.record', recordParams, params);
    const request = {
      screenIndex: p.screenIndex ?? 0,
      durationMs: p.durationMs ?? SCREEN_RECORD_DEFAULT_DURATION_MS,
      fps: p.fps ?? SCREEN_RECORD_DEFAULT_FPS,
    };
    return withBackend(signal, async (backend, ctx) => {
      const file = await backend.record(ctx, request);
      await ensureOutput(file, MediaErrorCode.SCREEN_UNAVAILABLE, noOutputMessage(backend.name));
      // Screen audio is not captured on desktop nodes; includeAudio is accepted and hasAudio says so.
      const clip = await readRecordedClip(file, { durationMs: request.durationMs, hasAudio: false }, env, signal);
      return toMediaResult(clip.buffer, {
        format: 'mp4' as const,
        durationMs: clip.durationMs,
        fps: request.fps,
        screenIndex: request.screenIndex,
        hasAudio: clip.hasAudio,
      });
    });
  };

  return {
    family: 'screen',
    commands: SCREEN_COMMAND_NAMES,
    async detect(): Promise<Detection> {
      const selection = await selectScreenBackend(settings, env, platform);
      return selection.ok ? { available: true, backend: selection.backend.name } : { available: false, reason: selection.reason, fix: selection.fix };
    },
    run(command, params, signal) {
      if (command === 'screen.snapshot') return snapshot(params, signal);
      if (command === 'screen.record') return record(params, signal);
      return Promise.reject(new CommandError(MediaErrorCode.UNAVAILABLE, `command not supported: ${command}; the screen provider handles ${SCREEN_COMMAND_NAMES.join(', ')}`));
    },
  };
}

function noOutputMessage(backend: string): string {
  return `the ${backend} capture reported success but wrote no output; check the display`;
}
