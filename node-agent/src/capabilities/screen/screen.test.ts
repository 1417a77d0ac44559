/** screen.* against a real X server: Xvfb with a red root window, captured by ffmpeg x11grab. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScreenRecordResult, ScreenSnapshotResult } from '@tether/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError } from '../capability.js';
import { createScreenProvider } from './provider.js';
import { parseXdpyinfoScreens, parseXrandrMonitors } from './x11-geometry.js';
import { rejectionOf } from '../../../../test/helpers/rejection.js';

const never = new AbortController().signal;
let xvfb: ChildProcess | undefined;
let display = '';
let scratch: string;

function freeDisplayNumber(): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const n = 90 + Math.floor(Math.random() * 111);
    if (!existsSync(`/tmp/.X11-unix/X${n}`) && !existsSync(`/tmp/.X${n}-lock`)) return n;
  }
  throw new Error('no free X display number between 90 and 200');
}

beforeAll(async () => {
  try {
    execFileSync('which', ['Xvfb', 'xsetroot', 'ffmpeg'], { stdio: 'ignore' });
  } catch {
    throw new Error('these tests need Xvfb, xsetroot and ffmpeg: sudo apt-get install xvfb x11-xserver-utils ffmpeg');
  }
  scratch = mkdtempSync(join(tmpdir(), 'tether-screen-test-'));
  const n = freeDisplayNumber();
  display = `:${n}`;
  // -noreset: by default Xvfb resets (and forgets xsetroot's colour) when its last client disconnects.
  xvfb = spawn('Xvfb', [display, '-screen', '0', '320x240x24', '-nolisten', 'tcp', '-noreset'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!existsSync(`/tmp/.X11-unix/X${n}`)) {
    if (Date.now() > deadline || xvfb.exitCode !== null) throw new Error(`Xvfb ${display} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  execFileSync('xsetroot', ['-solid', '#ff0000'], { env: { ...process.env, DISPLAY: display } });
});

afterAll(() => {
  if (xvfb?.pid !== undefined) process.kill(xvfb.pid, 'SIGTERM');
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const failure = (promise: Promise<unknown>) => rejectionOf(promise, CommandError);

describe('screen provider (Xvfb)', () => {
  const screen = () => createScreenProvider({ display, platform: 'linux' });

  it('detects X11', async () => {
    expect(await screen().detect()).toEqual({ available: true, backend: 'x11' });
  });

  it('snapshots the red screen as a 320x240 PNG', async () => {
    const result = (await screen().run('screen.snapshot', {}, never)) as ScreenSnapshotResult;
    expect(Object.keys(result)).toEqual(['format', 'base64', 'width', 'height', 'screenIndex']);
    expect([result.format, result.width, result.height, result.screenIndex]).toEqual(['png', 320, 240, 0]);
    const { data, info } = await sharp(Buffer.from(result.base64!, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([320, 240]);
    for (const [x, y] of [[0, 0], [160, 120], [319, 239], [10, 200]] as const) {
      const i = (y * info.width + x) * info.channels;
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      expect({ x, y, red: (r as number) > 240 && (g as number) < 15 && (b as number) < 15 }).toEqual({ x, y, red: true });
    }
  });

  it('honours maxWidth and jpg', async () => {
    const result = (await screen().run('screen.snapshot', { maxWidth: 160, format: 'jpg' }, never)) as ScreenSnapshotResult;
    const meta = await sharp(Buffer.from(result.base64!, 'base64')).metadata();
    expect([result.format, meta.format, meta.width, meta.height]).toEqual(['jpg', 'jpeg', 160, 120]);
  });

  it('rejects a screen that does not exist', async () => {
    const error = await failure(screen().run('screen.snapshot', { screenIndex: 3 }, never));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(/screenIndex/);
  });

  it('records 2 s at 5 fps as a valid MP4', async () => {
    const result = (await screen().run('screen.record', { durationMs: 2000, fps: 5 }, never)) as ScreenRecordResult;
    expect([result.format, result.fps, result.screenIndex, result.hasAudio]).toEqual(['mp4', 5, 0, false]);
    const file = join(scratch, 'record.mp4');
    writeFileSync(file, Buffer.from(result.base64!, 'base64'));
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name,width,height', '-of', 'json', file], { encoding: 'utf8' }),
    ) as { format: { duration: string }; streams: { codec_type: string; codec_name: string; width: number; height: number }[] };
    expect(Math.abs(Number(probe.format.duration) - 2)).toBeLessThanOrEqual(0.5);
    expect(probe.streams).toEqual([{ codec_type: 'video', codec_name: 'h264', width: 320, height: 240 }]);
    expect(Math.abs(result.durationMs - 2000)).toBeLessThanOrEqual(500);
  });

  it('rejects invalid params naming the field', async () => {
    const error = await failure(screen().run('screen.record', { durationMs: 70_000 }, never));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(/durationMs/);
    const format = await failure(screen().run('screen.snapshot', { format: 'gif' }, never));
    expect(format.message).toMatch(/format/);
  });
});

describe('screen detection', () => {
  it('without a display or Wayland: SCREEN_UNAVAILABLE saying what to do', async () => {
    const screen = createScreenProvider({ env: { PATH: process.env.PATH }, platform: 'linux' });
    const detection = await screen.detect();
    expect(detection).toMatchObject({ available: false, reason: 'no X11 DISPLAY and no Wayland session with grim' });
    const error = await failure(screen.run('screen.snapshot', {}, never));
    expect(error.code).toBe('SCREEN_UNAVAILABLE');
    expect(error.message).toMatch(/desktop session.*sudo apt-get install ffmpeg/);
  });

  it('a DISPLAY with no X server behind it', async () => {
    const detection = await createScreenProvider({ display: ':239', env: { PATH: process.env.PATH }, platform: 'linux' }).detect();
    expect(detection).toMatchObject({ available: false, reason: expect.stringMatching(/:239 has no running X server/) });
  });

  it('a display but no ffmpeg', async () => {
    const detection = await createScreenProvider({ display, env: { PATH: '/nonexistent' }, platform: 'linux' }).detect();
    expect(detection).toMatchObject({ available: false, fix: 'install ffmpeg: sudo apt-get install ffmpeg' });
  });
});

describe('X11 geometry parsers', () => {
  it('reads xrandr --listmonitors', () => {
    const text = 'Monitors: 2\n 0: +*eDP-1 1920/344x1080/194+0+0  eDP-1\n 1: +HDMI-1 2560/597x1440/336+1920+0  HDMI-1\n';
    expect(parseXrandrMonitors(text)).toEqual([
      { screen: 0, width: 1920, height: 1080, x: 0, y: 0 },
      { screen: 0, width: 2560, height: 1440, x: 1920, y: 0 },
    ]);
  });

  it('reads xdpyinfo screens', () => {
    const text = 'name of display:    :0\nscreen #0:\n  dimensions:    320x240 pixels (81x61 millimeters)\nscreen #1:\n  dimensions:    800x600 pixels (1x1 millimeters)\n';
    expect(parseXdpyinfoScreens(text)).toEqual([
      { screen: 0, x: 0, y: 0, width: 320, height: 240 },
      { screen: 1, x: 0, y: 0, width: 800, height: 600 },
    ]);
  });
});
