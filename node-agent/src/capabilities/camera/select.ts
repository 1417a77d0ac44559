/**
 * Which camera backend this node uses, in order: a configured synthetic source, a configured V4L2
 * device, macOS (ffmpeg avfoundation, else imagesnap), Raspberry Pi rpicam, USB webcams. Cheap:
 * PATH lookups and directory reads, no spawning, so detect() can run at every start.
 */
import { existsSync } from 'node:fs';
import { findTool, installHint } from '../media/tools.js';
import { createFfmpegCameraBackend } from './ffmpeg-backend.js';
import { avfoundationInput, lavfiInput, v4l2Input } from './ffmpeg-inputs.js';
import { createImagesnapBackend } from './imagesnap.js';
import { RPICAM_STILL, createRpicamBackend } from './rpicam.js';
import type { CameraSelection, CameraSettings } from './types.js';
import { listV4l2Nodes } from './v4l2.js';

const LAVFI_PREFIX = 'lavfi:';

export async function selectCameraBackend(settings: CameraSettings, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<CameraSelection> {
  const ffmpeg = await findTool(['ffmpeg'], env);
  const needFfmpeg = (what: string): CameraSelection => ({
    ok: false,
    reason: `${what} needs ffmpeg, which is not on PATH`,
    fix: installHint('ffmpeg', platform),
  });

  if (settings.source !== undefined) {
    if (!settings.source.startsWith(LAVFI_PREFIX) || settings.source.length === LAVFI_PREFIX.length) {
      return { ok: false, reason: `unsupported camera source ${JSON.stringify(settings.source)}`, fix: 'use "lavfi:<filtergraph>", e.g. "lavfi:testsrc=size=1280x720:rate=30", or remove camera.source' };
    }
    if (!ffmpeg) return needFfmpeg(`the synthetic camera source ${settings.source}`);
    return { ok: true, backend: createFfmpegCameraBackend(ffmpeg.path, lavfiInput(settings.source.slice(LAVFI_PREFIX.length))) };
  }

  if (platform === 'darwin') {
    if (ffmpeg) return { ok: true, backend: createFfmpegCameraBackend(ffmpeg.path, avfoundationInput(ffmpeg.path)) };
    const imagesnap = await findTool(['imagesnap'], env);
    if (imagesnap) return { ok: true, backend: createImagesnapBackend(imagesnap) };
    return { ok: false, reason: 'no camera tool: neither ffmpeg nor imagesnap is on PATH', fix: `${installHint('ffmpeg', platform)}, then grant Camera access to the program running the node` };
  }

  if (platform !== 'linux') {
    return { ok: false, reason: `camera capture is not supported on ${platform} yet`, fix: 'run the node on Linux or macOS' };
  }

  if (settings.device !== undefined) {
    if (!existsSync(settings.device)) {
      return { ok: false, reason: `the configured camera device ${settings.device} does not exist`, fix: 'connect the camera, or fix camera.device in the node config (see v4l2-ctl --list-devices)' };
    }
    if (!ffmpeg) return needFfmpeg(`the camera ${settings.device}`);
    return { ok: true, backend: createFfmpegCameraBackend(ffmpeg.path, v4l2Input()) };
  }

  const still = await findTool(RPICAM_STILL, env);
  if (still) return { ok: true, backend: createRpicamBackend(still) };

  const nodes = await listV4l2Nodes();
  if (nodes.length > 0 && ffmpeg) return { ok: true, backend: createFfmpegCameraBackend(ffmpeg.path, v4l2Input()) };

  const missing = [
    nodes.length > 0 ? `found ${nodes.map((n) => n.path).join(', ')} but ffmpeg is not on PATH` : 'no /dev/video* camera device',
    ...(nodes.length === 0 && !ffmpeg ? ['no ffmpeg on PATH'] : []),
    'no rpicam-still or libcamera-still on PATH',
  ];
  return {
    ok: false,
    reason: `no camera: ${missing.join('; ')}`,
    fix: `connect a USB webcam and ${installHint('ffmpeg', platform)}; on a Raspberry Pi with a camera module, ${installHint('rpicam-apps', platform)}`,
  };
}
