/** The three ffmpeg camera inputs: synthetic lavfi, Linux V4L2, macOS avfoundation. */
import type { CameraDevice } from '@tether/protocol';
import { isScreenDevice, listAvfoundationDevices } from '../media/avfoundation.js';
import { findTool, installHint } from '../media/tools.js';
import type { FfmpegCameraInput } from './ffmpeg-backend.js';
import type { CameraContext } from './types.js';
import { describeV4l2Devices, listV4l2Nodes } from './v4l2.js';

function sizeArgs(ctx: CameraContext): string[] {
  const { width, height } = ctx.settings;
  return width !== undefined && height !== undefined ? ['-video_size', `${width}x${height}`] : [];
}

/**
 * `lavfi:<filtergraph>`, e.g. lavfi:testsrc=size=640x480:rate=5. Read with -re so it behaves like a
 * camera (a 3 s clip takes 3 s, and can be cancelled midway); a sine tone stands in for a microphone.
 */
export function lavfiInput(filtergraph: string): FfmpegCameraInput {
  const device: CameraDevice = { id: 'lavfi:0', name: `synthetic camera (${filtergraph})`, position: 'external', deviceType: 'synthetic', backend: 'lavfi' };
  return {
    name: 'lavfi',
    list: async () => [device],
    inputArgs: (_ctx, _device, includeAudio) => [
      '-re', '-f', 'lavfi', '-i', filtergraph,
      ...(includeAudio ? ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : []),
    ],
    fix: 'check the lavfi filtergraph in the node config (camera.source)',
    permissionFix: 'check the lavfi filtergraph in the node config (camera.source)',
  };
}

/** USB/UVC webcams; audio (when asked) from ALSA's default capture device. */
export function v4l2Input(): FfmpegCameraInput {
  return {
    name: 'v4l2',
    async list(ctx) {
      const nodes = ctx.settings.device ? [{ path: ctx.settings.device, name: ctx.settings.device }] : await listV4l2Nodes();
      const v4l2ctl = await findTool(['v4l2-ctl'], ctx.env);
      const devices = await describeV4l2Devices(nodes, v4l2ctl?.path, ctx.env, ctx.signal);
      return devices.map((d) => ({ id: d.path, name: d.name, position: 'external', deviceType: 'v4l2', backend: 'v4l2' }));
    },
    inputArgs: (ctx, device, includeAudio) => [
      '-f', 'v4l2', ...sizeArgs(ctx), '-i', device.id,
      ...(includeAudio ? ['-f', 'alsa', '-i', 'default'] : []),
    ],
    fix:
      'check that the camera is connected and not in use by another program (v4l2-ctl --list-devices); ' +
      'for includeAudio, check the microphone with arecord -l or retry with includeAudio:false',
    permissionFix: "add the node's user to the video group: sudo usermod -aG video $USER, then restart the node",
  };
}

/** macOS cameras (screens are listed by avfoundation too; they are left to the screen provider). */
export function avfoundationInput(ffmpeg: string): FfmpegCameraInput {
  return {
    name: 'avfoundation',
    async list(ctx) {
      const { video } = await listAvfoundationDevices(ffmpeg, ctx.env, ctx.signal);
      return video
        .filter((d) => !isScreenDevice(d))
        .map((d) => ({ id: String(d.index), name: d.name, ...(/facetime/i.test(d.name) ? { position: 'front' } : {}), backend: 'avfoundation' }));
    },
    inputArgs: (ctx, device, includeAudio) => [
      '-f', 'avfoundation', '-framerate', '30', ...sizeArgs(ctx), '-i', `${device.id}:${includeAudio ? '0' : 'none'}`,
    ],
    fix: `check that no other app holds the camera; ${installHint('ffmpeg', 'darwin')} if it is missing`,
    permissionFix: 'grant Camera (and Microphone for audio) access to the program running the node: System Settings → Privacy & Security',
  };
}
