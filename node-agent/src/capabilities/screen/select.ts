/**
 * Which screen backend this node uses: macOS screencapture; on Linux a configured or inherited X11
 * DISPLAY (ffmpeg x11grab), else wlroots Wayland (grim). Cheap: PATH lookups and one stat.
 */
import { existsSync } from 'node:fs';
import { findTool, installHint } from '../media/tools.js';
import { createMacScreenBackend } from './macos.js';
import type { ScreenSelection, ScreenSettings } from './types.js';
import { createWaylandBackend } from './wayland.js';
import { createX11Backend, localX11Socket } from './x11.js';

export async function selectScreenBackend(settings: ScreenSettings, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<ScreenSelection> {
  if (platform === 'darwin') {
    const screencapture = await findTool(['screencapture'], { ...env, PATH: `${env.PATH ?? ''}:/usr/sbin:/usr/bin` });
    if (screencapture) return { ok: true, backend: createMacScreenBackend(screencapture) };
    return { ok: false, reason: 'screencapture is not on PATH', fix: 'run the node on macOS with /usr/sbin on PATH' };
  }
  if (platform !== 'linux') return { ok: false, reason: `screen capture is not supported on ${platform} yet`, fix: 'run the node on Linux or macOS' };

  const display = settings.display ?? (env.DISPLAY !== undefined && env.DISPLAY !== '' ? env.DISPLAY : undefined);
  const ffmpeg = await findTool(['ffmpeg'], env);
  const grim = env.WAYLAND_DISPLAY ? await findTool(['grim'], env) : undefined;

  // An explicitly configured display wins; otherwise a wlroots session is captured natively
  // (x11grab on XWayland would only see X clients).
  if (grim && settings.display === undefined) return { ok: true, backend: createWaylandBackend(grim) };
  if (display !== undefined) {
    const socket = localX11Socket(display);
    if (socket && !existsSync(socket)) {
      return { ok: false, reason: `DISPLAY ${display} has no running X server (no ${socket})`, fix: 'run the node inside the desktop session, or set the display in the node config to a running X server' };
    }
    if (!ffmpeg) return { ok: false, reason: `X11 display ${display} found but ffmpeg is not on PATH`, fix: installHint('ffmpeg', platform) };
    return { ok: true, backend: createX11Backend(ffmpeg.path, display) };
  }
  if (env.WAYLAND_DISPLAY) {
    return { ok: false, reason: `Wayland session ${env.WAYLAND_DISPLAY} found but grim is not on PATH`, fix: `${installHint('grim', platform)} (wlroots compositors), or run an X11 session` };
  }
  return {
    ok: false,
    reason: 'no X11 DISPLAY and no Wayland session with grim',
    fix: `run the node under a desktop session (DISPLAY=:0) with ffmpeg installed (${installHint('ffmpeg', platform)}), or on wlroots Wayland ${installHint('grim', platform)}`,
  };
}
