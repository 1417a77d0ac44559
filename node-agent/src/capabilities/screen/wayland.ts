/**
 * wlroots Wayland compositors (sway, Hyprland, labwc, Wayfire): `grim` for stills, `wf-recorder` for
 * video. GNOME and KDE only allow capture through the xdg-desktop-portal with the user's consent,
 * which a headless node cannot click through; grim fails there with its own message.
 */
import { join } from 'node:path';
import { CommandError } from '../capability.js';
import { MediaErrorCode, invalidRequest, toolFailure } from '../media/errors.js';
import { runTool, succeeded } from '../media/run-tool.js';
import { findTool, installHint, type FoundTool } from '../media/tools.js';
import type { ScreenBackend } from './types.js';

const FIX = 'grim needs a wlroots compositor (sway, Hyprland, Wayfire); on GNOME/KDE run the node in an X11 session';

function onlyScreenZero(screenIndex: number): void {
  // Naming outputs needs the compositor's IPC; the whole layout is one image here.
  if (screenIndex !== 0) throw invalidRequest(`screenIndex: Wayland capture covers all outputs as screen 0; got ${screenIndex}`, { screenIndex });
}

export function createWaylandBackend(grim: FoundTool): ScreenBackend {
  return {
    name: 'wayland',
    async snapshot(ctx, screenIndex) {
      onlyScreenZero(screenIndex);
      const out = join(ctx.tmpDir, 'screen.png');
      const run = await runTool({ file: grim.path, args: ['-t', 'png', out], env: ctx.env, signal: ctx.signal, timeoutMs: 15_000 });
      if (!succeeded(run)) throw toolFailure(MediaErrorCode.SCREEN_UNAVAILABLE, 'grim', run, FIX);
      return out;
    },
    async record(ctx, request) {
      onlyScreenZero(request.screenIndex);
      const recorder = await findTool(['wf-recorder'], ctx.env);
      if (!recorder) throw new CommandError(MediaErrorCode.SCREEN_UNAVAILABLE, `screen.record on Wayland needs wf-recorder; ${installHint('wf-recorder', 'linux')}`);
      const out = join(ctx.tmpDir, 'screen.mp4');
      // wf-recorder has no duration flag: SIGINT after the duration makes it finish the file.
      const run = await runTool({
        file: recorder.path,
        args: ['-f', out, '-r', String(request.fps), '-c', 'libx264', '-x', 'yuv420p'],
        env: ctx.env,
        signal: ctx.signal,
        timeoutMs: request.durationMs + 30_000,
        interruptAfterMs: request.durationMs,
      });
      const stopped = run.exitCode === 0 || (run.exitSignal === 'SIGINT' && !run.timedOut);
      if (!stopped) throw toolFailure(MediaErrorCode.SCREEN_UNAVAILABLE, 'wf-recorder', run, FIX);
      return out;
    },
  };
}
