/** Measuring a recorded file with ffprobe (duration, audio), when ffprobe is installed. */
import { findTool } from './tools.js';
import { runTool, succeeded } from './run-tool.js';

export interface MediaProbe {
  durationMs: number | undefined;
  hasAudio: boolean;
  hasVideo: boolean;
}

const PROBE_TIMEOUT_MS = 10_000;

/** undefined when ffprobe is missing or cannot read the file; the caller falls back to what it asked for. */
export async function probeMedia(file: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<MediaProbe | undefined> {
  const ffprobe = await findTool(['ffprobe'], env);
  if (!ffprobe) return undefined;
  const run = await runTool({
    file: ffprobe.path,
    args: ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type', '-of', 'json', file],
    env,
    signal,
    timeoutMs: PROBE_TIMEOUT_MS,
    captureStdout: true,
  });
  if (!succeeded(run)) return undefined;
  return parseFfprobeJson(run.stdout);
}

export function parseFfprobeJson(text: string): MediaProbe | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { format, streams } = parsed as { format?: { duration?: unknown }; streams?: unknown };
  const seconds = typeof format?.duration === 'string' ? Number.parseFloat(format.duration) : Number.NaN;
  const types = Array.isArray(streams) ? streams.map((s: unknown) => (s as { codec_type?: unknown } | null)?.codec_type) : [];
  return {
    durationMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined,
    hasAudio: types.includes('audio'),
    hasVideo: types.includes('video'),
  };
}
