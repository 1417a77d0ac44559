/**
 * Finding USB/UVC cameras among /dev/video*. SoC codec and ISP nodes (a Raspberry Pi has a dozen)
 * are not cameras, and a UVC camera exposes a second, metadata-only node; both are left out.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool, succeeded } from '../media/run-tool.js';

export interface V4l2Device {
  path: string;
  name: string;
}

const DEV_DIR = '/dev';
const SYSFS_DIR = '/sys/class/video4linux';
/** Video nodes of SoC blocks (codecs, ISPs, CSI receivers used through libcamera), not capture devices for ffmpeg. */
const NOT_A_CAMERA = /bcm2835-(codec|isp)|rpi-hevc|pispbe|rp1-cfe|unicam|hantro|cedrus|mem2mem|m2m/i;

/** /dev/videoN capture nodes by sysfs, without spawning anything (detect() uses this). */
export async function listV4l2Nodes(devDir = DEV_DIR, sysfsDir = SYSFS_DIR): Promise<V4l2Device[]> {
  let entries: string[];
  try {
    entries = await readdir(devDir);
  } catch {
    return [];
  }
  const nodes = entries.filter((name) => /^video\d+$/.test(name)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const devices: V4l2Device[] = [];
  for (const node of nodes) {
    const name = (await readSysfs(sysfsDir, node, 'name')) ?? node;
    const index = await readSysfs(sysfsDir, node, 'index');
    if (index !== undefined && index !== '0') continue; // the metadata node of a UVC camera
    if (NOT_A_CAMERA.test(name)) continue;
    devices.push({ path: join(devDir, node), name });
  }
  return devices;
}

async function readSysfs(dir: string, node: string, file: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, node, file), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Better names from `v4l2-ctl --list-devices` when it is installed; the sysfs list otherwise. */
export async function describeV4l2Devices(
  nodes: readonly V4l2Device[],
  v4l2ctl: string | undefined,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<V4l2Device[]> {
  if (!v4l2ctl) return [...nodes];
  const run = await runTool({ file: v4l2ctl, args: ['--list-devices'], env, signal, timeoutMs: 5_000, captureStdout: true });
  if (!succeeded(run)) return [...nodes];
  const groups = parseV4l2CtlListDevices(run.stdout);
  return nodes.map((node) => {
    const group = groups.find((g) => g.paths.includes(node.path));
    return group ? { path: node.path, name: group.name } : node;
  });
}

export interface V4l2Group {
  name: string;
  bus: string;
  paths: string[];
}

/**
 * `v4l2-ctl --list-devices`: a "Name (bus):" header line, then indented device paths.
 *   HD Pro Webcam C920 (usb-0000:00:14.0-1):
 *   \t/dev/video0
 */
export function parseV4l2CtlListDevices(text: string): V4l2Group[] {
  const groups: V4l2Group[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (/^\s/.test(line)) {
      groups.at(-1)?.paths.push(line.trim());
      continue;
    }
    const header = /^(.*?)\s*\(([^()]*)\):\s*$/.exec(line);
    groups.push(header ? { name: header[1] as string, bus: header[2] as string, paths: [] } : { name: line.replace(/:\s*$/, ''), bus: '', paths: [] });
  }
  return groups;
}
