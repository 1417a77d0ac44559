/**
 * Resizing and recompressing captured stills with sharp. A JPEG is stepped down in quality, then in
 * size, until it fits the byte cap (OpenClaw nodes keep snaps under 5 MB the same way).
 */
import type { Metadata, Sharp } from 'sharp';

export interface EncodedImage {
  buffer: Buffer;
  format: 'jpg' | 'png';
  width: number;
  height: number;
}

export interface JpegOptions {
  maxWidth?: number;
  /** 0..1 as on the wire. */
  quality: number;
  maxBytes: number;
}

type SharpFactory = (input: Buffer) => Sharp;
let loadingSharp: Promise<SharpFactory> | undefined;

/**
 * sharp (libvips, a native binding: ~30 MB more resident here) loads on the first capture rather than at
 * node start: most invokes a node serves are not images, and the node's memory budget is tight.
 */
async function loadSharp(): Promise<SharpFactory> {
  loadingSharp ??= import('sharp').then(
    (module) => module.default,
    (error: unknown) => {
      loadingSharp = undefined;
      throw new Error(`the image library sharp could not be loaded (${error instanceof Error ? error.message : String(error)}); reinstall the node agent or run: npm rebuild sharp`);
    },
  );
  return loadingSharp;
}

const MIN_QUALITY = 0.3;
const QUALITY_STEP = 0.15;
const SHRINK = 0.75;
const MIN_WIDTH = 16;

/** Decodes any still sharp reads (JPEG, PNG, …), applies EXIF orientation, and encodes a JPEG that fits. */
export async function encodeJpeg(input: Buffer, options: JpegOptions): Promise<EncodedImage> {
  const sharp = await loadSharp();
  const source = await sharp(input).rotate().metadata();
  let width = Math.min(options.maxWidth ?? Number.MAX_SAFE_INTEGER, orientedWidth(source));
  let quality = options.quality;
  for (;;) {
    const { data, info } = await sharp(input)
      .rotate()
      .resize({ width, withoutEnlargement: true })
      .jpeg({ quality: sharpQuality(quality) })
      .toBuffer({ resolveWithObject: true });
    if (data.length <= options.maxBytes) return { buffer: data, format: 'jpg', width: info.width, height: info.height };
    if (quality > MIN_QUALITY) quality = Math.max(MIN_QUALITY, quality - QUALITY_STEP);
    else if (width > MIN_WIDTH) width = Math.max(MIN_WIDTH, Math.floor(width * SHRINK));
    else throw new Error(`cannot fit the image into ${options.maxBytes} bytes (${data.length} bytes at ${info.width}x${info.height}); raise maxBytes`);
  }
}

/** Decodes a still and encodes a PNG, downscaled to maxWidth when given. */
export async function encodePng(input: Buffer, options: { maxWidth?: number } = {}): Promise<EncodedImage> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(input)
    .rotate()
    .resize(options.maxWidth !== undefined ? { width: options.maxWidth, withoutEnlargement: true } : undefined)
    .png()
    .toBuffer({ resolveWithObject: true });
  return { buffer: data, format: 'png', width: info.width, height: info.height };
}

function sharpQuality(quality: number): number {
  return Math.min(100, Math.max(1, Math.round(quality * 100)));
}

/** Width after EXIF orientation (orientations 5–8 swap the axes). */
function orientedWidth(meta: Metadata): number {
  const width = meta.width ?? MIN_WIDTH;
  const height = meta.height ?? MIN_WIDTH;
  return meta.orientation !== undefined && meta.orientation >= 5 ? height : width;
}
