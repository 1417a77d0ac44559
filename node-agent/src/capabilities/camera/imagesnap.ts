/** macOS without ffmpeg: `imagesnap` takes stills (clips still need ffmpeg). */
import { join } from 'node:path';
import type { CameraDevice } from '@tether/protocol';
import { CommandError } from '../capability.js';
import { MediaErrorCode, looksLikePermissionDenied, toolFailure } from '../media/errors.js';
import { runTool, succeeded } from '../media/run-tool.js';
import { installHint, type FoundTool } from '../media/tools.js';
import { pickDevice } from './devices.js';
import type { CameraBackend, CameraContext } from './types.js';

export function createImagesnapBackend(imagesnap: FoundTool): CameraBackend {
  const list = async (ctx: CameraContext): Promise<CameraDevice[]> => {
    const run = await runTool({ file: imagesnap.path, args: ['-l'], env: ctx.env, signal: ctx.signal, timeoutMs: 10_000, captureStdout: true });
    return parseImagesnapList(run.stdout);
  };
  return {
    name: 'imagesnap',
    list,
    async snap(ctx, request) {
      const device = pickDevice(await list(ctx), request.deviceId, 'imagesnap');
      const out = join(ctx.tmpDir, 'snap.jpg');
      const args = ['-q', '-w', (request.delayMs / 1000).toFixed(2), '-d', device.name, out];
      const run = await runTool({ file: imagesnap.path, args, env: ctx.env, signal: ctx.signal, timeoutMs: request.delayMs + 20_000 });
      if (succeeded(run)) return out;
      const denied = looksLikePermissionDenied(run);
      throw toolFailure(
        denied ? MediaErrorCode.CAMERA_PERMISSION_REQUIRED : MediaErrorCode.CAMERA_UNAVAILABLE,
        'imagesnap',
        run,
        denied ? 'grant Camera access to the program running the node: System Settings → Privacy & Security → Camera' : 'check that no other app holds the camera',
      );
    },
    clip() {
      return Promise.reject(new CommandError(MediaErrorCode.CAMERA_UNAVAILABLE, `camera.clip needs ffmpeg on this Mac; ${installHint('ffmpeg', 'darwin')}`));
    },
  };
}

/** `imagesnap -l`: "Video Devices:" then one "=> Name" (or "<id> Name") line per camera. */
export function parseImagesnapList(text: string): CameraDevice[] {
  return text
    .split('\n')
    .map((line) => /^\s*(?:=>|<[^>]*>)\s*(.+?)\s*$/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined)
    .map((name) => ({ id: name, name, ...(/facetime/i.test(name) ? { position: 'front' } : {}), backend: 'imagesnap' }));
}
