/**
 * Where each screen is on an X11 display: monitors from `xrandr --listmonitors` (one X screen, several
 * monitors: the usual desktop), else X screens from `xdpyinfo`. Without either, ffmpeg grabs the
 * whole root window of screen 0 at its own size (x11grab picks it; checked under Xvfb).
 */
import { runTool, succeeded } from '../media/run-tool.js';
import { findTool } from '../media/tools.js';

export interface ScreenArea {
  /** The X screen number (the ".N" of the display). */
  screen: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export async function x11ScreenAreas(env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<ScreenArea[] | undefined> {
  const xrandr = await findTool(['xrandr'], env);
  if (xrandr) {
    const run = await runTool({ file: xrandr.path, args: ['--listmonitors'], env, signal, timeoutMs: 5_000, captureStdout: true });
    const monitors = succeeded(run) ? parseXrandrMonitors(run.stdout) : [];
    if (monitors.length > 0) return monitors;
  }
  const xdpyinfo = await findTool(['xdpyinfo'], env);
  if (xdpyinfo) {
    const run = await runTool({ file: xdpyinfo.path, args: [], env, signal, timeoutMs: 5_000, captureStdout: true });
    const screens = succeeded(run) ? parseXdpyinfoScreens(run.stdout) : [];
    if (screens.length > 0) return screens;
  }
  return undefined;
}

/**
 * `xrandr --listmonitors`:
 *   Monitors: 2
 *    0: +*eDP-1 1920/344x1080/194+0+0  eDP-1
 *    1: +HDMI-1 2560/597x1440/336+1920+0  HDMI-1
 */
export function parseXrandrMonitors(text: string): ScreenArea[] {
  const areas: ScreenArea[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+):\s+\S+\s+(\d+)\/\d+x(\d+)\/\d+([+-]\d+)([+-]\d+)/.exec(line);
    if (m) areas[Number(m[1])] = { screen: 0, width: Number(m[2]), height: Number(m[3]), x: Number(m[4]), y: Number(m[5]) };
  }
  return areas.filter((a) => a !== undefined);
}

/** `xdpyinfo`: "screen #N:" followed by "  dimensions:    1920x1080 pixels (…)". */
export function parseXdpyinfoScreens(text: string): ScreenArea[] {
  const areas: ScreenArea[] = [];
  let screen: number | undefined;
  for (const line of text.split('\n')) {
    const header = /^screen #(\d+):/.exec(line);
    if (header) {
      screen = Number(header[1]);
      continue;
    }
    const dims = /^\s+dimensions:\s+(\d+)x(\d+) pixels/.exec(line);
    if (dims && screen !== undefined) {
      areas.push({ screen, x: 0, y: 0, width: Number(dims[1]), height: Number(dims[2]) });
      screen = undefined;
    }
  }
  return areas;
}
