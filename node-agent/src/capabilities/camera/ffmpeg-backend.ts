/**
 * Cameras captured by ffmpeg: V4L2 webcams, macOS avfoundation, and the synthetic lavfi source the
 * tests use. Only the input arguments differ, so all three share this capture code.
 */
import { join } from 'node:path';
import type { CameraDevice } from '@tether/protocol';
import { FFMPEG_BASE_ARGS, H264_MP4_ARGS, seconds } from '../media/ffmpeg.js';
import { MediaErrorCode, looksLikePermissionDenied, toolFailure } from '../media/errors.js';
import { runTool, succeeded } from '../media/run-tool.js';
import { pickDevice } from './devices.js';
import type { CameraBackend, CameraContext } from './types.js';

export interface FfmpegCameraInput {
  readonly name: string;
  list(ctx: CameraContext): Promise<CameraDevice[]>;
  /** ffmpeg input options for one device, with an audio input when asked and supported. */
  inputArgs(ctx: CameraContext, device: CameraDevice, includeAudio: boolean): string[];
  /** What to do when the capture fails, and when the OS refused access. */
  readonly fix: string;
  readonly permissionFix: string;
}

const SNAP_DEADLINE_MS = 20_000;
/** Encoding may lag the capture on a slow CPU; this much past the duration before we give up. */
const CLIP_GRACE_MS = 30_000;

export function createFfmpegCameraBackend(ffmpeg: string, input: FfmpegCameraInput): CameraBackend {
  const capture = async (ctx: CameraContext, args: string[], timeoutMs: number, device: CameraDevice): Promise<void> => {
    const run = await runTool({ file: ffmpeg, args: [...FFMPEG_BASE_ARGS, ...args], env: ctx.env, signal: ctx.signal, timeoutMs });
    if (succeeded(run)) return;
    const denied = looksLikePermissionDenied(run);
    throw toolFailure(
      denied ? MediaErrorCode.CAMERA_PERMISSION_REQUIRED : MediaErrorCode.CAMERA_UNAVAILABLE,
      `ffmpeg (${input.name} ${device.id})`,
      run,
      denied ? input.permissionFix : input.fix,
    );
  };

  return {
    name: input.name,
    list: (ctx) => input.list(ctx),
    async snap(ctx, request) {
      const device = pickDevice(await input.list(ctx), request.deviceId, input.name);
      const out = join(ctx.tmpDir, 'snap.jpg');
      // Output-side -ss drops the frames of the warm-up: auto exposure settles before the one we keep.
      const delay = request.delayMs > 0 ? ['-ss', seconds(request.delayMs)] : [];
      await capture(ctx, [...input.inputArgs(ctx, device, false), ...delay, '-frames:v', '1', '-q:v', '2', out], request.delayMs + SNAP_DEADLINE_MS, device);
      return out;
    },
    async clip(ctx, request) {
      const device = pickDevice(await input.list(ctx), request.deviceId, input.name);
      const out = join(ctx.tmpDir, 'clip.mp4');
      const inputArgs = input.inputArgs(ctx, device, request.includeAudio);
      const audio = request.includeAudio ? ['-c:a', 'aac', '-b:a', '96k'] : ['-an'];
      await capture(ctx, [...inputArgs, '-t', seconds(request.durationMs), ...H264_MP4_ARGS, ...audio, out], request.durationMs + CLIP_GRACE_MS, device);
      return { file: out, audioRequested: request.includeAudio };
    },
  };
}
