/** macOS capture devices as ffmpeg's avfoundation input lists them (shared by camera and screen). */
import { runTool } from './run-tool.js';

export interface AvfDevice {
  index: number;
  name: string;
}

export interface AvfDevices {
  video: AvfDevice[];
  audio: AvfDevice[];
}

/** `ffmpeg -f avfoundation -list_devices true -i ""` prints the lists on stderr and exits 1 by design. */
export async function listAvfoundationDevices(ffmpeg: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<AvfDevices> {
  const run = await runTool({
    file: ffmpeg,
    args: ['-hide_banner', '-nostdin', '-f', 'avfoundation', '-list_devices', 'true', '-i', ''],
    env,
    signal,
    timeoutMs: 10_000,
  });
  return parseAvfoundationDevices(run.stderrTail);
}

export function parseAvfoundationDevices(stderr: string): AvfDevices {
  const devices: AvfDevices = { video: [], audio: [] };
  let section: keyof AvfDevices | undefined;
  for (const line of stderr.split('\n')) {
    if (/AVFoundation video devices/i.test(line)) section = 'video';
    else if (/AVFoundation audio devices/i.test(line)) section = 'audio';
    else {
      const match = /\]\s*\[(\d+)\]\s+(.+?)\s*$/.exec(line);
      if (match && section) devices[section].push({ index: Number(match[1]), name: match[2] as string });
    }
  }
  return devices;
}

/** Screens show up among the video devices as "Capture screen N". */
export function isScreenDevice(device: AvfDevice): boolean {
  return /^Capture screen \d+/i.test(device.name);
}
