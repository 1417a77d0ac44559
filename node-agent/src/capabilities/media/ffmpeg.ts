/** ffmpeg argument pieces shared by the camera and screen backends, and reading a finished clip. */
import { readFile } from 'node:fs/promises';
import { probeMedia } from './probe.js';

/** Quiet (errors only, so the stderr tail is the reason), never reads stdin, overwrites the temp output. */
export const FFMPEG_BASE_ARGS = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'] as const;

/**
 * H.264 in MP4 that every player and browser opens: yuv420p needs even dimensions (the scale filter
 * rounds odd screen sizes down), faststart puts the index first so the clip plays while downloading.
 */
export const H264_MP4_ARGS = [
  '-vf', 'scale=trunc(iw/2)*2:trunc(ih/2)*2',
  '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
  '-movflags', '+faststart',
] as const;

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export interface RecordedClip {
  buffer: Buffer;
  durationMs: number;
  hasAudio: boolean;
}

/** Reads a recorded file; duration and audio come from ffprobe when present, else from what was asked. */
export async function readRecordedClip(
  file: string,
  requested: { durationMs: number; hasAudio: boolean },
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<RecordedClip> {
  const [buffer, probe] = await Promise.all([readFile(file), probeMedia(file, env, signal)]);
  return {
    buffer,
    durationMs: probe?.durationMs ?? requested.durationMs,
    hasAudio: probe ? probe.hasAudio : requested.hasAudio,
  };
}
