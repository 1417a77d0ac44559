/** Choosing the device a request names (deviceId from camera.list), else the first one. */
import type { CameraDevice } from '@tether/protocol';
import { MediaErrorCode, invalidRequest } from '../media/errors.js';
import { CommandError } from '../capability.js';

export function pickDevice(devices: readonly CameraDevice[], deviceId: string | undefined, backend: string): CameraDevice {
  if (deviceId !== undefined) {
    const found = devices.find((d) => d.id === deviceId);
    if (found) return found;
    const known = devices.map((d) => d.id).join(', ') || '(none)';
    throw invalidRequest(`deviceId: unknown camera ${JSON.stringify(deviceId)}; camera.list shows: ${known}`, { deviceId });
  }
  const first = devices[0];
  if (!first) {
    throw new CommandError(MediaErrorCode.CAMERA_UNAVAILABLE, `no camera found by the ${backend} backend; connect a camera and check camera.list`);
  }
  return first;
}
