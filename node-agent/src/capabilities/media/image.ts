/**
 * Resizing and recompressing captured stills with sharp. A JPEG is stepped down in quality, then in
 * size, until it fits the byte cap (OpenClaw nodes keep snaps under 5 MB the same way).
 *
 * sharp is an optional dependency: the node-only package installs and runs without it (a Pi with no
 * prebuilt libvips, or `npm install --omit=optional`). Without it a still is sent exactly as the capture
 * tool wrote it: no downscaling, no recompression, its own width and height read from the file's header.
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
  /**
   * Without sharp a PNG cannot become a JPEG: when true (screen.snapshot, whose result may be either)
   * a PNG capture is sent as a PNG; when false (camera.snap, always JPEG) it is an error.
   */
  pngWithoutSharp?: boolean;
}

type SharpFactory = ((input: Buffer) => Sharp) & { versions?: { sharp?: string; vips?: string } };

/** Whether sharp loads here, for doctor and for the encoders. */
export type ImageLibraryStatus =
  | { state: 'installed'; version?: string }
  | { state: 'not-installed' }
  | { state: 'broken'; error: string };

/** The doctor line's words, shared so the node's log and `tether-node doctor` say the same thing. */
export const SHARP_MISSING_EFFECT = 'captures are sent as the capture tool made them (no downscaling)';

export interface ImageCodec {
  encodeJpeg(input: Buffer, options: JpegOptions): Promise<EncodedImage>;
  encodePng(input: Buffer, options?: { maxWidth?: number }): Promise<EncodedImage>;
  status(): Promise<ImageLibraryStatus>;
}

const MIN_QUALITY = 0.3;
const QUALITY_STEP = 0.15;
const SHRINK = 0.75;
const MIN_WIDTH = 16;

type Loaded = { ok: true; sharp: SharpFactory } | { ok: false; status: Exclude<ImageLibraryStatus, { state: 'installed' }> };

/** True for "sharp is not there at all", as opposed to "sharp is there but its native part fails". */
function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /['"]sharp['"]/.test(message);
}

/**
 * The encoders over a loader of the sharp module (tests pass one that fails). sharp (libvips, a native
 * binding: ~30 MB more resident here) loads on the first capture rather than at node start: most invokes
 * a node serves are not images, and the node's memory budget is tight. A failed load is not remembered,
 * so installing sharp later takes effect at the next capture.
 */
export function createImageCodec(load: () => Promise<unknown>): ImageCodec {
  let loading: Promise<Loaded> | undefined;
  const loadSharp = (): Promise<Loaded> => {
    loading ??= load().then(
      (module) => {
        const factory = ((module as { default?: unknown }).default ?? module) as SharpFactory;
        if (typeof factory !== 'function') throw new Error('the sharp module has no default export');
        return { ok: true as const, sharp: factory };
      },
      (error: unknown): Loaded => {
        loading = undefined;
        if (isNotFound(error)) return { ok: false, status: { state: 'not-installed' } };
        return { ok: false, status: { state: 'broken', error: error instanceof Error ? error.message : String(error) } };
      },
    );
    return loading;
  };

  return {
    async status() {
      const loaded = await loadSharp();
      if (!loaded.ok) return loaded.status;
      const version = loaded.sharp.versions?.sharp;
      return version ? { state: 'installed', version } : { state: 'installed' };
    },

    async encodeJpeg(input, options) {
      const loaded = await loadSharp();
      if (!loaded.ok) return asCaptured(input, options.pngWithoutSharp ? ['jpg', 'png'] : ['jpg'], options.maxBytes, loaded.status);
      const sharp = loaded.sharp;
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
    },

    async encodePng(input, options = {}) {
      const loaded = await loadSharp();
      if (!loaded.ok) return asCaptured(input, ['png', 'jpg'], undefined, loaded.status);
      const { data, info } = await loaded
        .sharp(input)
        .rotate()
        .resize(options.maxWidth !== undefined ? { width: options.maxWidth, withoutEnlargement: true } : undefined)
        .png()
        .toBuffer({ resolveWithObject: true });
      return { buffer: data, format: 'png', width: info.width, height: info.height };
    },
  };
}

const defaultCodec = createImageCodec(() => import('sharp'));

/** Decodes any still sharp reads (JPEG, PNG, …), applies EXIF orientation, and encodes a JPEG that fits. Without sharp: the capture as it is. */
export const encodeJpeg = (input: Buffer, options: JpegOptions): Promise<EncodedImage> => defaultCodec.encodeJpeg(input, options);

/** Decodes a still and encodes a PNG, downscaled to maxWidth when given. Without sharp: the capture as it is. */
export const encodePng = (input: Buffer, options?: { maxWidth?: number }): Promise<EncodedImage> => defaultCodec.encodePng(input, options);

/** Whether this node can downscale captures (`tether-node doctor`). */
export const imageLibraryStatus = (): Promise<ImageLibraryStatus> => defaultCodec.status();

/** A still sent as the tool wrote it; its header gives the size. Refuses what the wire cannot carry. */
function asCaptured(input: Buffer, formats: readonly ('jpg' | 'png')[], maxBytes: number | undefined, status: Exclude<ImageLibraryStatus, { state: 'installed' }>): EncodedImage {
  const why = status.state === 'not-installed' ? 'sharp is not installed' : `sharp cannot load (${status.error})`;
  const fix =
    status.state === 'not-installed'
      ? 'install the node package with its optional dependencies (without --omit=optional) so sharp is there'
      : 'run npm rebuild sharp where the node is installed';
  const header = readImageHeader(input);
  if (!header || !formats.includes(header.format)) {
    const NAMES = { jpg: 'JPEG', png: 'PNG' } as const;
    const found = header ? `a ${NAMES[header.format]}` : 'a file that is neither JPEG nor PNG';
    throw new Error(`the capture tool wrote ${found}, and ${why} to convert it to ${formats.map((f) => NAMES[f]).join(' or ')}; ${fix}`);
  }
  if (maxBytes !== undefined && input.length > maxBytes) {
    throw new Error(`the capture is ${input.length} bytes, over the ${maxBytes}-byte cap, and ${why} to shrink it; ${fix}, or ask for a smaller capture`);
  }
  return { buffer: input, ...header };
}

/** Format and size from a JPEG's frame header or a PNG's IHDR; undefined for anything else. */
export function readImageHeader(data: Buffer): { format: 'jpg' | 'png'; width: number; height: number } | undefined {
  const PNG_SIGNATURE = '89504e470d0a1a0a';
  if (data.length >= 24 && data.subarray(0, 8).toString('hex') === PNG_SIGNATURE && data.subarray(12, 16).toString('latin1') === 'IHDR') {
    const width = data.readUInt32BE(16);
    const height = data.readUInt32BE(20);
    return width > 0 && height > 0 ? { format: 'png', width, height } : undefined;
  }
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 4 <= data.length) {
    if (data[at] !== 0xff) return undefined;
    const marker = data[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image or scan data before any frame header
    const length = data.readUInt16BE(at + 2);
    if (length < 2) return undefined;
    // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > data.length) return undefined;
      const height = data.readUInt16BE(at + 5);
      const width = data.readUInt16BE(at + 7);
      return width > 0 && height > 0 ? { format: 'jpg', width, height } : undefined;
    }
    at += 2 + length;
  }
  return undefined;
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
