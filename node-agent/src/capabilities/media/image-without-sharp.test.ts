/** Stills when sharp is not installed (or its native part fails): sent as the tool made them, or refused with the fix. */
import sharp, { type JpegOptions } from 'sharp';
import { describe, expect, it } from 'vitest';
import { CapabilityRegistry } from '../registry.js';
import { doctorReport, formatDoctorReport } from '../../doctor.js';
import { createImageCodec, readImageHeader } from './image.js';

function notFound(): Promise<never> {
  const error = Object.assign(new Error("Cannot find package 'sharp' imported from /usr/lib/node_modules/tether-node/bundle/main.js"), { code: 'ERR_MODULE_NOT_FOUND' });
  return Promise.reject(error);
}
const withoutSharp = createImageCodec(notFound);
const brokenSharp = createImageCodec(() => Promise.reject(new Error('Could not load the "sharp" module using the linux-arm64 runtime')));

const jpeg = (width: number, height: number, options: JpegOptions = {}) =>
  sharp({ create: { width, height, channels: 3, background: '#336699' } }).jpeg(options).toBuffer();
const png = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#336699' } }).png().toBuffer();

describe('readImageHeader', () => {
  it('reads a baseline JPEG, a progressive one with EXIF, and a PNG', async () => {
    expect(readImageHeader(await jpeg(640, 480))).toEqual({ format: 'jpg', width: 640, height: 480 });
    const exif = await sharp(await jpeg(300, 200, { progressive: true })).withMetadata({ orientation: 6 }).jpeg({ progressive: true }).toBuffer();
    expect(readImageHeader(exif)).toEqual({ format: 'jpg', width: 300, height: 200 });
    expect(readImageHeader(await png(17, 9))).toEqual({ format: 'png', width: 17, height: 9 });
  });

  it('answers undefined for anything else, truncated or hostile, without throwing', async () => {
    const full = await jpeg(64, 64);
    expect(readImageHeader(Buffer.alloc(0))).toBeUndefined();
    expect(readImageHeader(Buffer.from('GIF89a......'))).toBeUndefined();
    expect(readImageHeader(full.subarray(0, 20))).toBeUndefined();
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00]))).toBeUndefined(); // segment length 0
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 0x00]))).toBeUndefined(); // length past the end
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x04, 0x00, 0x00]))).toBeUndefined(); // scan before frame
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x00, 0x00, 0x00]))).toBeUndefined(); // 0x0
    const png0 = Buffer.from(await png(4, 4));
    png0.writeUInt32BE(0, 16);
    expect(readImageHeader(png0)).toBeUndefined();
  });
});

describe('without sharp', () => {
  it('sends a camera JPEG byte for byte, ignoring maxWidth and quality', async () => {
    const input = await jpeg(640, 480);
    const out = await withoutSharp.encodeJpeg(input, { maxWidth: 100, quality: 0.3, maxBytes: 5_000_000 });
    expect(out.buffer.equals(input)).toBe(true);
    expect(out).toMatchObject({ format: 'jpg', width: 640, height: 480 });
  });

  it('refuses a capture over the byte cap, saying why and what to install', async () => {
    const input = await jpeg(640, 480);
    await expect(withoutSharp.encodeJpeg(input, { quality: 0.9, maxBytes: 100 })).rejects.toThrow(
      new RegExp(`the capture is ${input.length} bytes, over the 100-byte cap, and sharp is not installed to shrink it; install the node package with its optional dependencies`),
    );
  });

  it('refuses a PNG where only a JPEG may go (camera.snap), and sends it as PNG where either may (screen.snapshot)', async () => {
    const input = await png(32, 16);
    await expect(withoutSharp.encodeJpeg(input, { quality: 0.9, maxBytes: 5_000_000 })).rejects.toThrow(/the capture tool wrote a PNG, and sharp is not installed to convert it to JPEG/);
    const asPng = await withoutSharp.encodeJpeg(input, { quality: 0.9, maxBytes: 5_000_000, pngWithoutSharp: true });
    expect(asPng).toMatchObject({ format: 'png', width: 32, height: 16 });
    expect(asPng.buffer.equals(input)).toBe(true);
    const screen = await withoutSharp.encodePng(input, { maxWidth: 8 });
    expect(screen).toMatchObject({ format: 'png', width: 32, height: 16 });
  });

  it('refuses a file that is no image at all', async () => {
    await expect(withoutSharp.encodePng(Buffer.from('not an image'))).rejects.toThrow(/neither JPEG nor PNG/);
  });

  it('tells "not installed" from "installed but cannot load", and tries again at the next call', async () => {
    expect(await withoutSharp.status()).toEqual({ state: 'not-installed' });
    expect(await brokenSharp.status()).toEqual({ state: 'broken', error: 'Could not load the "sharp" module using the linux-arm64 runtime' });
    await expect(brokenSharp.encodeJpeg(await jpeg(8, 8), { quality: 0.9, maxBytes: 10 })).rejects.toThrow(/sharp cannot load \(Could not load[^)]*\) to shrink it; run npm rebuild sharp/);
    let calls = 0;
    const later = createImageCodec(() => (++calls === 1 ? notFound() : import('sharp')));
    expect((await later.status()).state).toBe('not-installed');
    expect((await later.status()).state).toBe('installed');
  });

  it('still downscales when sharp loads', async () => {
    const withSharp = createImageCodec(() => import('sharp'));
    expect(await withSharp.status()).toMatchObject({ state: 'installed', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const out = await withSharp.encodeJpeg(await jpeg(640, 480), { maxWidth: 100, quality: 0.8, maxBytes: 5_000_000 });
    expect([out.width, out.height]).toEqual([100, 75]);
  });
});

describe('doctor on sharp', () => {
  const registry = new CapabilityRegistry([]);

  it('says captures go out as the tool made them when sharp is not installed', async () => {
    const report = await doctorReport(registry, { imageLibrary: () => withoutSharp.status() });
    expect(report.images).toMatchObject({ sharp: 'not-installed' });
    expect(formatDoctorReport(report)).toContain('sharp: not installed — captures are sent as the capture tool made them (no downscaling)');
  });

  it('names the load error and the fix when sharp is broken, and the version when it works', async () => {
    const broken = formatDoctorReport(await doctorReport(registry, { imageLibrary: () => brokenSharp.status() }));
    expect(broken).toContain('sharp: cannot load (Could not load the "sharp" module using the linux-arm64 runtime) — captures are sent as the capture tool made them (no downscaling); fix: npm rebuild sharp');
    const fine = formatDoctorReport(await doctorReport(registry));
    expect(fine).toMatch(/sharp: installed \(\d+\.\d+\.\d+[^)]*\) — captures are downscaled/);
  });
});
