/** camera.* against real ffmpeg, with the synthetic lavfi source standing in for a webcam. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CameraClipResult, CameraListResult, CameraSnapResult } from '@tether/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError } from '../capability.js';
import { ToolCancelledError } from '../media/run-tool.js';
import { createCameraProvider } from './provider.js';
import { rejectionOf } from '../../../../test/helpers/rejection.js';

const SOURCE = 'lavfi:testsrc=size=640x480:rate=5';
const never = new AbortController().signal;
const camera = createCameraProvider({ source: SOURCE });

let scratch: string;
beforeAll(() => {
  for (const tool of ['ffmpeg', 'ffprobe']) {
    try {
      execFileSync(tool, ['-version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is required by these tests: sudo apt-get install ffmpeg`);
    }
  }
  scratch = mkdtempSync(join(tmpdir(), 'tether-camera-test-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function ffprobe(base64: string): { duration: number; types: string[] } {
  const file = join(scratch, `probe-${Date.now()}-${Math.random()}.mp4`);
  writeFileSync(file, Buffer.from(base64, 'base64'));
  const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type', '-of', 'json', file], { encoding: 'utf8' })) as {
    format: { duration: string };
    streams: { codec_type: string }[];
  };
  return { duration: Number(out.format.duration), types: out.streams.map((s) => s.codec_type) };
}

const failure = (promise: Promise<unknown>) => rejectionOf(promise, CommandError);

describe('camera provider (lavfi source)', () => {
  it('detects the synthetic backend', async () => {
    expect(await camera.detect()).toEqual({ available: true, backend: 'lavfi' });
    expect(camera.commands).toEqual(['camera.list', 'camera.snap', 'camera.clip']);
  });

  it('lists the synthetic camera', async () => {
    const result = (await camera.run('camera.list', {}, never)) as CameraListResult;
    expect(result.devices).toHaveLength(1);
    expect(result.devices[0]).toMatchObject({ id: 'lavfi:0', backend: 'lavfi' });
  });

  it('snaps a 640x480 JPEG', async () => {
    const result = (await camera.run('camera.snap', {}, never)) as CameraSnapResult;
    expect(Object.keys(result)).toEqual(['format', 'base64', 'width', 'height']);
    const meta = await sharp(Buffer.from(result.base64!, 'base64')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, 480]);
    expect([result.format, result.width, result.height]).toEqual(['jpg', 640, 480]);
  });

  it('scales to maxWidth', async () => {
    const result = (await camera.run('camera.snap', { maxWidth: 320, quality: 0.5, facing: 'back', delayMs: 300 }, never)) as CameraSnapResult;
    const meta = await sharp(Buffer.from(result.base64!, 'base64')).metadata();
    expect([meta.width, meta.height, result.width, result.height]).toEqual([320, 240, 320, 240]);
  });

  it('recompresses under maxBytes', async () => {
    const capped = createCameraProvider({ source: SOURCE, maxBytes: 8_000 });
    const result = (await capped.run('camera.snap', { quality: 1 }, never)) as CameraSnapResult;
    const bytes = Buffer.from(result.base64!, 'base64');
    expect(bytes.length).toBeLessThanOrEqual(8_000);
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', result.width, result.height]);
  });

  it('records a 1 s MP4 clip without audio', async () => {
    const result = (await camera.run('camera.clip', { durationMs: 1000 }, never)) as CameraClipResult;
    expect(result.format).toBe('mp4');
    expect(result.hasAudio).toBe(false);
    const probe = ffprobe(result.base64!);
    expect(probe.duration).toBeGreaterThan(0.7);
    expect(probe.duration).toBeLessThan(1.3);
    expect(probe.types).toEqual(['video']);
    expect(Math.abs(result.durationMs - 1000)).toBeLessThanOrEqual(300);
  });

  it('records audio when asked (a sine tone for the synthetic source)', async () => {
    const result = (await camera.run('camera.clip', { durationMs: 500, includeAudio: true }, never)) as CameraClipResult;
    expect(result.hasAudio).toBe(true);
    expect(ffprobe(result.base64!).types.sort()).toEqual(['audio', 'video']);
  });

  it('rejects invalid params naming the field', async () => {
    const clip = await failure(camera.run('camera.clip', { durationMs: 70_000 }, never));
    expect(clip.code).toBe('INVALID_REQUEST');
    expect(clip.message).toMatch(/durationMs/);
    const snap = await failure(camera.run('camera.snap', { quality: 2 }, never));
    expect(snap.code).toBe('INVALID_REQUEST');
    expect(snap.message).toMatch(/quality/);
    const extra = await failure(camera.run('camera.snap', { width: 10 }, never));
    expect(extra.message).toMatch(/unexpected property "width"/);
    const device = await failure(camera.run('camera.snap', { deviceId: '/dev/video7' }, never));
    expect(device.code).toBe('INVALID_REQUEST');
    expect(device.message).toMatch(/deviceId.*lavfi:0/);
  });

  it('kills a long clip quickly when the invoke is aborted', async () => {
    // A distinctive size, so the test can look for a leftover ffmpeg by its command line.
    const marker = 'testsrc=size=328x248:rate=5';
    const slow = createCameraProvider({ source: `lavfi:${marker}` });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('deadline passed')), 500);
    await expect(slow.run('camera.clip', { durationMs: 60_000 }, controller.signal)).rejects.toThrow(ToolCancelledError);
    expect(Date.now() - started).toBeLessThan(3_000);
    const leftovers = readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
        } catch {
          return false;
        }
      });
    expect(leftovers).toEqual([]);
  });

  it('reports an unsupported source as unavailable', async () => {
    const bad = createCameraProvider({ source: 'rtsp://example/stream' });
    expect(await bad.detect()).toMatchObject({ available: false, reason: expect.stringMatching(/unsupported camera source/) });
    expect((await failure(bad.run('camera.snap', {}, never))).code).toBe('CAMERA_UNAVAILABLE');
  });
});
