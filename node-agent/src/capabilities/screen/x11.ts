/** X11 capture with ffmpeg's x11grab: one frame for a snapshot, `-t` seconds for a recording. */
import { join } from 'node:path';
import { FFMPEG_BASE_ARGS, H264_MP4_ARGS, seconds } from '../media/ffmpeg.js';
import { MediaErrorCode, invalidRequest, looksLikePermissionDenied, toolFailure } from '../media/errors.js';
import { runTool, succeeded } from '../media/run-tool.js';
import type { ScreenBackend, ScreenContext } from './types.js';
import { x11ScreenAreas } from './x11-geometry.js';

const SNAPSHOT_DEADLINE_MS = 15_000;
/** x11grab frames are raw with a known format: probing them only adds ~0.5–1.5 s of latency. */
const NO_PROBE = ['-probesize', '32', '-analyzeduration', '0'];
const RECORD_GRACE_MS = 30_000;

export function createX11Backend(ffmpeg: string, display: string): ScreenBackend {
  // ":0" and ":0.1" both name display 0; the screen number comes from the area we grab.
  const base = display.replace(/\.\d+$/, '');
  const childEnv = (ctx: ScreenContext): NodeJS.ProcessEnv => ({ ...ctx.env, DISPLAY: display });

  const inputArgs = async (ctx: ScreenContext, screenIndex: number): Promise<string[]> => {
    const areas = await x11ScreenAreas(childEnv(ctx), ctx.signal);
    if (!areas) {
      if (screenIndex === 0) return ['-i', `${base}.0+0,0`];
      throw invalidRequest(
        `screenIndex: ${screenIndex} cannot be located without xrandr or xdpyinfo; use screenIndex 0 or install x11-xserver-utils: sudo apt-get install x11-xserver-utils`,
        { screenIndex },
      );
    }
    const area = areas[screenIndex];
    if (!area) throw invalidRequest(`screenIndex: ${display} has ${areas.length} screen(s) (0..${areas.length - 1}); got ${screenIndex}`, { screenIndex });
    return ['-video_size', `${area.width}x${area.height}`, '-i', `${base}.${area.screen}+${area.x},${area.y}`];
  };

  const grab = async (ctx: ScreenContext, args: string[], timeoutMs: number): Promise<void> => {
    const run = await runTool({ file: ffmpeg, args: [...FFMPEG_BASE_ARGS, ...args], env: childEnv(ctx), signal: ctx.signal, timeoutMs });
    if (succeeded(run)) return;
    if (looksLikePermissionDenied(run)) {
      throw toolFailure(
        MediaErrorCode.SCREEN_PERMISSION_REQUIRED,
        `ffmpeg (x11grab ${display})`,
        run,
        "run the node as the desktop's user, or set XAUTHORITY to that session's ~/.Xauthority (or allow it: xhost +SI:localuser:$USER)",
      );
    }
    throw toolFailure(MediaErrorCode.SCREEN_UNAVAILABLE, `ffmpeg (x11grab ${display})`, run, `check that DISPLAY=${display} is a running X server (xdpyinfo -display ${display})`);
  };

  return {
    name: 'x11',
    async snapshot(ctx, screenIndex) {
      const out = join(ctx.tmpDir, 'screen.png');
      // No pointer in stills (as screencapture and grim); recordings show it.
      await grab(ctx, [...NO_PROBE, '-f', 'x11grab', '-draw_mouse', '0', ...(await inputArgs(ctx, screenIndex)), '-frames:v', '1', out], SNAPSHOT_DEADLINE_MS);
      return out;
    },
    async record(ctx, request) {
      const out = join(ctx.tmpDir, 'screen.mp4');
      const input = await inputArgs(ctx, request.screenIndex);
      await grab(
        ctx,
        [...NO_PROBE, '-f', 'x11grab', '-framerate', String(request.fps), '-draw_mouse', '1', ...input, '-t', seconds(request.durationMs), ...H264_MP4_ARGS, '-an', out],
        request.durationMs + RECORD_GRACE_MS,
      );
      return out;
    },
  };
}

/** The X server's socket for a local display (":N"); a DISPLAY left over from a closed session has none. */
export function localX11Socket(display: string): string | undefined {
  const m = /^(?:unix)?:(\d+)(?:\.\d+)?$/.exec(display);
  return m ? `/tmp/.X11-unix/X${m[1]}` : undefined;
}
