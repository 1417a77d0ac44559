/**
 * macOS: `screencapture -x` for stills (display N is `-D N+1`), ffmpeg's avfoundation "Capture
 * screen N" device for recordings. Both need the Screen Recording permission for the program that
 * runs the node; without it macOS returns an error or a picture of only the wallpaper.
 */
import { join } from 'node:path';
import { CommandError } from '../capability.js';
import { isScreenDevice, listAvfoundationDevices } from '../media/avfoundation.js';
import { FFMPEG_BASE_ARGS, H264_MP4_ARGS, seconds } from '../media/ffmpeg.js';
import { MediaErrorCode, invalidRequest, looksLikePermissionDenied, toolFailure } from '../media/errors.js';
import { runTool, succeeded, type ToolRun } from '../media/run-tool.js';
import { findTool, installHint, type FoundTool } from '../media/tools.js';
import type { ScreenBackend } from './types.js';

const PERMISSION_FIX = 'grant Screen Recording to the program running the node: System Settings → Privacy & Security → Screen Recording';

function failure(tool: string, run: ToolRun): CommandError {
  const denied = looksLikePermissionDenied(run) || /could not create image from display/i.test(run.stderrTail);
  return toolFailure(
    denied ? MediaErrorCode.SCREEN_PERMISSION_REQUIRED : MediaErrorCode.SCREEN_UNAVAILABLE,
    tool,
    run,
    denied ? PERMISSION_FIX : `check the screen index and that a display is attached; ${PERMISSION_FIX}`,
  );
}

export function createMacScreenBackend(screencapture: FoundTool): ScreenBackend {
  return {
    name: 'screencapture',
    async snapshot(ctx, screenIndex) {
      const out = join(ctx.tmpDir, 'screen.png');
      const args = ['-x', '-t', 'png', '-D', String(screenIndex + 1), out];
      const run = await runTool({ file: screencapture.path, args, env: ctx.env, signal: ctx.signal, timeoutMs: 15_000 });
      if (!succeeded(run)) throw failure('screencapture', run);
      return out;
    },
    async record(ctx, request) {
      const ffmpeg = await findTool(['ffmpeg'], ctx.env);
      if (!ffmpeg) throw new CommandError(MediaErrorCode.SCREEN_UNAVAILABLE, `screen.record on macOS needs ffmpeg; ${installHint('ffmpeg', 'darwin')}`);
      const screens = (await listAvfoundationDevices(ffmpeg.path, ctx.env, ctx.signal)).video.filter(isScreenDevice);
      const device = screens[request.screenIndex];
      if (!device) {
        if (screens.length === 0) throw new CommandError(MediaErrorCode.SCREEN_PERMISSION_REQUIRED, `ffmpeg lists no screens to record. To fix: ${PERMISSION_FIX}`);
        throw invalidRequest(`screenIndex: this Mac has ${screens.length} screen(s) (0..${screens.length - 1}); got ${request.screenIndex}`);
      }
      const out = join(ctx.tmpDir, 'screen.mp4');
      const args = [
        ...FFMPEG_BASE_ARGS,
        '-f', 'avfoundation', '-capture_cursor', '1', '-framerate', String(request.fps), '-i', `${device.index}:none`,
        '-t', seconds(request.durationMs), ...H264_MP4_ARGS, '-an', out,
      ];
      const run = await runTool({ file: ffmpeg.path, args, env: ctx.env, signal: ctx.signal, timeoutMs: request.durationMs + 30_000 });
      if (!succeeded(run)) throw failure('ffmpeg (avfoundation)', run);
      return out;
    },
  };
}
