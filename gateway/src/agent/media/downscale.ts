/**
 * An image made fit for a model: at most `maxDimensionPx` on its longer side and `maxBytes` encoded,
 * re-encoded as JPEG over falling quality steps until it fits. Fails soft: an image sharp cannot read,
 * or that will not fit, comes back as the reason, and the model gets the file's path instead.
 * `sharp` is loaded on first use, so a gateway whose agent never sees an image never loads it.
 */
export interface ModelImage {
  mimeType: 'image/jpeg' | 'image/png';
  base64: string;
  width: number;
  height: number;
}

export type DownscaleOutcome = { ok: true; image: ModelImage; original: { width: number; height: number } } | { ok: false; reason: string };

const QUALITY_STEPS = [85, 70, 55, 40];
/** 40 megapixels (~160 MB decoded): beyond any camera a node has, well short of what hurts the gateway. */
const MAX_INPUT_PIXELS = 40_000_000;

type SharpFactory = typeof import('sharp').default;
let sharpModule: Promise<SharpFactory> | undefined;
function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((module) => module.default);
  return sharpModule;
}

export async function downscaleForModel(data: Buffer, limits: { maxDimensionPx: number; maxBytes: number }): Promise<DownscaleOutcome> {
  let sharp: SharpFactory;
  try {
    sharp = await loadSharp();
  } catch (error) {
    return { ok: false, reason: `image support is not installed (sharp: ${(error as Error).message})` };
  }
  try {
    // `limitInputPixels` bounds what a hostile node's "image" can make us decode.
    const meta = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
    if (!meta.width || !meta.height) return { ok: false, reason: 'not a readable image' };
    const original = { width: meta.width, height: meta.height };
    for (const side of [limits.maxDimensionPx, Math.round(limits.maxDimensionPx * 0.75), Math.round(limits.maxDimensionPx * 0.5)]) {
      for (const quality of QUALITY_STEPS) {
        const { data: out, info } = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS })
          .rotate()
          .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
          .jpeg({ quality })
          .toBuffer({ resolveWithObject: true });
        if (out.length <= limits.maxBytes) {
          return { ok: true, image: { mimeType: 'image/jpeg', base64: out.toString('base64'), width: info.width, height: info.height }, original };
        }
      }
    }
    return { ok: false, reason: `the image does not fit in ${limits.maxBytes} bytes` };
  } catch (error) {
    return { ok: false, reason: `not a readable image (${(error as Error).message.slice(0, 120)})` };
  }
}
