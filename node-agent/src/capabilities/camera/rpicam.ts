/**
 * Raspberry Pi CSI cameras through rpicam-apps (Bookworm names; the older libcamera-* names are
 * tried second). Stills: `rpicam-still -n -t <ms> -o out.jpg`. Clips: `rpicam-vid --codec libav`
 * writes the MP4 container itself, so no ffmpeg is needed on the Pi.
 */
import { join } from 'node:path';
import type { CameraDevice } from '@tether/protocol';
import { CommandError } from '../capability.js';
import { MediaErrorCode, invalidRequest, looksLikePermissionDenied, toolFailure } from '../media/errors.js';
import { runTool, succeeded, type ToolRun } from '../media/run-tool.js';
import { findTool, installHint, type FoundTool } from '../media/tools.js';
import { pickDevice } from './devices.js';
import type { CameraBackend, CameraContext } from './types.js';

export const RPICAM_STILL = ['rpicam-still', 'libcamera-still'] as const;
const RPICAM_VID = ['rpicam-vid', 'libcamera-vid'] as const;
const RPICAM_HELLO = ['rpicam-hello', 'libcamera-hello'] as const;

/** libcamera starts slowly (sensor probe, tuning); this much past the requested time before we give up. */
const GRACE_MS = 30_000;
const FIX = 'check the camera ribbon cable and that `rpicam-hello --list-cameras` lists it (camera_auto_detect=1 in /boot/firmware/config.txt)';
const PERMISSION_FIX = "add the node's user to the video group: sudo usermod -aG video $USER, then restart the node";

export function createRpicamBackend(still: FoundTool): CameraBackend {
  const run = async (ctx: CameraContext, tool: FoundTool, args: string[], timeoutMs: number): Promise<void> => {
    const result = await runTool({ file: tool.path, args, env: ctx.env, signal: ctx.signal, timeoutMs });
    if (succeeded(result)) return;
    throw failure(tool.name, result);
  };

  return {
    name: 'rpicam',
    list: (ctx) => listRpicamCameras(ctx),
    async snap(ctx, request) {
      const camera = await cameraArgs(ctx, request.deviceId);
      const out = join(ctx.tmpDir, 'snap.jpg');
      // -t is the preview/settle time in ms before the capture; 0 would mean "run forever".
      const args = ['-n', '-t', String(Math.max(1, request.delayMs)), '-o', out, ...sizeArgs(ctx), ...camera];
      await run(ctx, still, args, request.delayMs + GRACE_MS);
      return out;
    },
    async clip(ctx, request) {
      const vid = await findTool(RPICAM_VID, ctx.env);
      if (!vid) {
        throw new CommandError(MediaErrorCode.CAMERA_UNAVAILABLE, `camera.clip needs rpicam-vid, which is not on PATH; ${installHint('rpicam-apps', 'linux')}`);
      }
      const camera = await cameraArgs(ctx, request.deviceId);
      const out = join(ctx.tmpDir, 'clip.mp4');
      const audio = request.includeAudio ? ['--libav-audio'] : [];
      const args = ['-n', '-t', String(request.durationMs), '--codec', 'libav', ...audio, '-o', out, ...sizeArgs(ctx), ...camera];
      await run(ctx, vid, args, request.durationMs + GRACE_MS);
      return { file: out, audioRequested: request.includeAudio };
    },
  };
}

function failure(tool: string, run: ToolRun): CommandError {
  const denied = looksLikePermissionDenied(run);
  return toolFailure(denied ? MediaErrorCode.CAMERA_PERMISSION_REQUIRED : MediaErrorCode.CAMERA_UNAVAILABLE, tool, run, denied ? PERMISSION_FIX : FIX);
}

function sizeArgs(ctx: CameraContext): string[] {
  const { width, height } = ctx.settings;
  return [...(width !== undefined ? ['--width', String(width)] : []), ...(height !== undefined ? ['--height', String(height)] : [])];
}

/** `--camera N` only when a deviceId was given (an index from camera.list); the default camera otherwise. */
async function cameraArgs(ctx: CameraContext, deviceId: string | undefined): Promise<string[]> {
  if (deviceId === undefined) return [];
  if (!/^\d{1,2}$/.test(deviceId)) throw invalidRequest(`deviceId: rpicam cameras are numbered (0, 1, …); got ${JSON.stringify(deviceId)}`, { deviceId });
  return ['--camera', pickDevice(await listRpicamCameras(ctx), deviceId, 'rpicam').id];
}

export async function listRpicamCameras(ctx: CameraContext): Promise<CameraDevice[]> {
  const hello = await findTool(RPICAM_HELLO, ctx.env);
  // Without rpicam-hello we cannot enumerate; camera 0 is what rpicam-still uses by default.
  if (!hello) return [{ id: '0', name: 'Raspberry Pi camera 0', backend: 'rpicam' }];
  const run = await runTool({ file: hello.path, args: ['--list-cameras'], env: ctx.env, signal: ctx.signal, timeoutMs: 15_000, captureStdout: true });
  if (run.spawnError !== undefined || run.timedOut) throw failure(hello.name, run);
  return parseRpicamCameraList(`${run.stdout}\n${run.stderrTail}`);
}

/**
 * `rpicam-hello --list-cameras`:
 *   0 : imx708_wide [4608x2592 10-bit RGGB] (/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a)
 *       Modes: 'SRGGB10_CSI2P' : 1536x864 [120.13 fps - (768, 432)/3072x1728 crop]
 */
export function parseRpicamCameraList(text: string): CameraDevice[] {
  const devices: CameraDevice[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+)\s*:\s*(\S+)(?:\s*\[([^\]]*)\])?/.exec(line);
    if (!match) continue;
    const [, index, sensor, mode] = match;
    devices.push({ id: index as string, name: mode ? `${sensor} [${mode}]` : (sensor as string), deviceType: 'csi', backend: 'rpicam' });
  }
  return devices;
}
