/**
 * Finding capture tools on the PATH the node was configured with (settings.env), so a test or a
 * node config can put fakes or a private ffmpeg first.
 */
import { effectivePath, searchPath } from '../../exec-policy/resolve.js';

export interface FoundTool {
  /** The name that was found (e.g. `libcamera-still` when `rpicam-still` is missing). */
  name: string;
  path: string;
}

/** The first of `names` found on env.PATH, in order of preference. */
export async function findTool(names: readonly string[], env: NodeJS.ProcessEnv): Promise<FoundTool | undefined> {
  const pathValue = effectivePath(env.PATH);
  for (const name of names) {
    const path = await searchPath(name, pathValue);
    if (path) return { name, path };
  }
  return undefined;
}

/** Install hints, per platform, for the tools these providers use. */
export function installHint(tool: 'ffmpeg' | 'rpicam-apps' | 'v4l-utils' | 'grim' | 'wf-recorder' | 'imagesnap', platform: NodeJS.Platform): string {
  if (platform === 'darwin') return `install ${tool}: brew install ${tool}`;
  return `install ${tool}: sudo apt-get install ${tool}`;
}
