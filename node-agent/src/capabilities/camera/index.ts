export { CAMERA_COMMAND_NAMES, createCameraProvider } from './provider.js';
export type { CameraBackend, CameraContext, CameraSettings, ClipRequest, SnapRequest } from './types.js';
