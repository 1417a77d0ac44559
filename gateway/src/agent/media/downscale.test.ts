import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { downscaleForModel } from './downscale.js';

describe('downscaleForModel', () => {
  it('fits a large image inside the dimension cap, as JPEG', async () => {
    const big = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#2a6' } }).png().toBuffer();
    const outcome = await downscaleForModel(big, { maxDimensionPx: 1200, maxBytes: 5 * 1024 * 1024 });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.original).toEqual({ width: 3000, height: 2000 });
    expect([outcome.image.width, outcome.image.height]).toEqual([1200, 800]);
    expect(Buffer.from(outcome.image.base64, 'base64').subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('says why instead of throwing for bytes that are not an image', async () => {
    const outcome = await downscaleForModel(Buffer.from('<script>not an image</script>'), { maxDimensionPx: 1200, maxBytes: 1_000_000 });
    expect(outcome).toMatchObject({ ok: false, reason: expect.stringContaining('not a readable image') });
  });

  it('refuses a decompression bomb (a tiny file that claims a huge canvas) without decoding it', async () => {
    // A real 1x1 PNG whose header is rewritten to claim 10,000 x 10,000 pixels (under sharp's own default limit, over ours) (with a valid CRC).
    const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer();
    const ihdr = png.subarray(12, 29);
    ihdr.writeUInt32BE(10_000, 4);
    ihdr.writeUInt32BE(10_000, 8);
    png.writeUInt32BE(crc32(ihdr), 29);
    const outcome = await downscaleForModel(png, { maxDimensionPx: 1200, maxBytes: 1_000_000 });
    expect(outcome).toMatchObject({ ok: false, reason: expect.stringContaining('pixel limit') });
  });

  it('gives up when the image cannot fit the byte cap', async () => {
    const noise = await sharp(Buffer.from(Array.from({ length: 400 * 400 * 3 }, () => Math.floor(Math.random() * 256))), { raw: { width: 400, height: 400, channels: 3 } }).png().toBuffer();
    const outcome = await downscaleForModel(noise, { maxDimensionPx: 400, maxBytes: 1_000 });
    expect(outcome).toMatchObject({ ok: false, reason: expect.stringContaining('does not fit') });
  });
});
