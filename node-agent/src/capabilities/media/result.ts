/**
 * The one place captured bytes become a wire result. Today that is inline base64 (OpenClaw's shape);
 * a later step can upload large media and return a reference instead by changing only this function.
 */

export function toMediaResult<M extends { format: string }>(buffer: Buffer, meta: M): M & { base64: string } {
  // format first, then base64, then the rest: the order OpenClaw nodes send.
  return Object.assign({ format: meta.format, base64: buffer.toString('base64') }, meta);
}
