import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { toolFailure } from './errors.js';
import { encodeJpeg, encodePng } from './image.js';
import { parseFfprobeJson } from './probe.js';
import { toMediaResult } from './result.js';
import { STDERR_TAIL_BYTES, ToolCancelledError, runTool, succeeded } from './run-tool.js';
import { parseAvfoundationDevices } from './avfoundation.js';

const never = new AbortController().signal;
const sh = (script: string, timeoutMs = 5_000, signal = never) => runTool({ file: '/bin/sh', args: ['-c', script], env: process.env, signal, timeoutMs });

/** A noisy image: hard to compress, so the byte cap has work to do. */
async function noise(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

describe('runTool', () => {
  it('keeps the last 2 kB of stderr and the exit code', async () => {
    const run = await sh('i=0; while [ $i -lt 300 ]; do echo "line $i" >&2; i=$((i+1)); done; echo THE-END >&2; exit 3');
    expect(run.exitCode).toBe(3);
    expect(succeeded(run)).toBe(false);
    expect(Buffer.byteLength(run.stderrTail)).toBeLessThanOrEqual(STDERR_TAIL_BYTES);
    expect(run.stderrTail.trim().endsWith('THE-END')).toBe(true);
    expect(run.stderrTail).not.toContain('line 0\n');
    expect(toolFailure('CAMERA_UNAVAILABLE', 'sh', run, 'do X').message).toMatch(/^sh exited with code 3: line \d+[\s\S]*THE-END\. do X$/);
  });

  it('kills the tool at its deadline', async () => {
    const started = Date.now();
    const run = await sh('sleep 20', 300);
    expect(run.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(toolFailure('X', 'sh', run, 'fix').message).toContain('timed out after 300 ms');
  });

  it('rejects with ToolCancelledError when the signal aborts, killing the process group', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('test abort')), 200);
    await expect(sh('sleep 20 & wait', 30_000, controller.signal)).rejects.toThrow(ToolCancelledError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('reports a tool that cannot start', async () => {
    const run = await runTool({ file: '/nonexistent/ffmpeg', args: [], env: process.env, signal: never, timeoutMs: 1_000 });
    expect(run.spawnError).toMatch(/ENOENT/);
    expect(succeeded(run)).toBe(false);
  });

  it('captures stdout only when asked', async () => {
    const run = await runTool({ file: '/bin/echo', args: ['hello'], env: process.env, signal: never, timeoutMs: 2_000, captureStdout: true });
    expect(run.stdout).toBe('hello\n');
    expect((await sh('echo hello')).stdout).toBe('');
  });
});

describe('encodeJpeg', () => {
  it('keeps the size, or scales down to maxWidth keeping the aspect ratio', async () => {
    const input = await noise(640, 480);
    const full = await encodeJpeg(input, { quality: 0.9, maxBytes: 5_000_000 });
    expect([full.width, full.height, full.format]).toEqual([640, 480, 'jpg']);
    expect((await sharp(full.buffer).metadata()).format).toBe('jpeg');
    const small = await encodeJpeg(input, { maxWidth: 200, quality: 0.9, maxBytes: 5_000_000 });
    expect([small.width, small.height]).toEqual([200, 150]);
    const larger = await encodeJpeg(input, { maxWidth: 4000, quality: 0.9, maxBytes: 5_000_000 });
    expect(larger.width).toBe(640); // never enlarged
  });

  it('steps quality, then size, down until the JPEG fits the byte cap', async () => {
    const input = await noise(640, 480);
    const uncapped = await encodeJpeg(input, { quality: 0.9, maxBytes: 50_000_000 });
    const capped = await encodeJpeg(input, { quality: 0.9, maxBytes: 20_000 });
    expect(uncapped.buffer.length).toBeGreaterThan(20_000);
    expect(capped.buffer.length).toBeLessThanOrEqual(20_000);
    const meta = await sharp(capped.buffer).metadata();
    expect([meta.width, meta.height]).toEqual([capped.width, capped.height]);
    expect(capped.width).toBeLessThan(640);
  });

  it('rejects what is not an image', async () => {
    await expect(encodeJpeg(Buffer.from('not an image'), { quality: 0.9, maxBytes: 1000 })).rejects.toThrow();
  });
});

describe('encodePng', () => {
  it('scales to maxWidth', async () => {
    const png = await encodePng(await noise(300, 100), { maxWidth: 150 });
    expect([png.width, png.height, png.format]).toEqual([150, 50, 'png']);
    expect((await sharp(png.buffer).metadata()).format).toBe('png');
  });
});

describe('toMediaResult', () => {
  it('puts format and base64 first and keeps the metadata', () => {
    const result = toMediaResult(Buffer.from('abc'), { format: 'jpg' as const, width: 2, height: 1 });
    expect(result).toEqual({ format: 'jpg', base64: 'YWJj', width: 2, height: 1 });
    expect(Object.keys(result)).toEqual(['format', 'base64', 'width', 'height']);
  });
});

describe('parsers', () => {
  it('reads ffprobe JSON', () => {
    const probe = parseFfprobeJson('{"streams":[{"codec_type":"video"},{"codec_type":"audio"}],"format":{"duration":"1.234000"}}');
    expect(probe).toEqual({ durationMs: 1234, hasAudio: true, hasVideo: true });
    expect(parseFfprobeJson('{"streams":[{"codec_type":"video"}],"format":{}}')).toEqual({ durationMs: undefined, hasAudio: false, hasVideo: true });
    expect(parseFfprobeJson('garbage')).toBeUndefined();
  });

  it('reads the avfoundation device list', () => {
    const stderr = [
      '[AVFoundation indev @ 0x7f8] AVFoundation video devices:',
      '[AVFoundation indev @ 0x7f8] [0] FaceTime HD Camera',
      '[AVFoundation indev @ 0x7f8] [1] Capture screen 0',
      '[AVFoundation indev @ 0x7f8] AVFoundation audio devices:',
      '[AVFoundation indev @ 0x7f8] [0] MacBook Pro Microphone',
      ': Input/output error',
    ].join('\n');
    expect(parseAvfoundationDevices(stderr)).toEqual({
      video: [{ index: 0, name: 'FaceTime HD Camera' }, { index: 1, name: 'Capture screen 0' }],
      audio: [{ index: 0, name: 'MacBook Pro Microphone' }],
    });
  });
});
