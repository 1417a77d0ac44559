/** The camera provider's settings and the interface each capture backend implements. */
import type { CameraDevice, CameraFacing } from '@tether/protocol';

export interface CameraSettings {
  /** A V4L2 device to use, e.g. /dev/video0 (forces the v4l2 backend on Linux). */
  device?: string;
  /** A synthetic ffmpeg input, e.g. "lavfi:testsrc=size=1280x720:rate=30" (tests, demos). */
  source?: string;
  /** Capture size asked of the device; the still is then scaled to the request's maxWidth. */
  width?: number;
  height?: number;
  /** Byte cap of a snapped JPEG (default 5 MB). */
  maxBytes?: number;
  /** Environment for backend discovery and the tools' children (PATH, DISPLAY, …); default process.env. */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** What one capture call gets: where to look for tools, where to write, when to stop. */
export interface CameraContext {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  settings: CameraSettings;
  signal: AbortSignal;
  /** A private directory removed after the call. */
  tmpDir: string;
}

export interface SnapRequest {
  deviceId?: string;
  facing?: CameraFacing;
  delayMs: number;
}

export interface ClipRequest {
  deviceId?: string;
  facing?: CameraFacing;
  durationMs: number;
  includeAudio: boolean;
}

export interface CameraBackend {
  /** Reported by detect() and in camera.list (`backend`): "lavfi", "v4l2", "rpicam", "avfoundation", "imagesnap". */
  readonly name: string;
  list(ctx: CameraContext): Promise<CameraDevice[]>;
  /** Captures one still (any format sharp decodes) and returns its path. */
  snap(ctx: CameraContext, request: SnapRequest): Promise<string>;
  /** Records an MP4 and returns its path and whether audio was asked of the device. */
  clip(ctx: CameraContext, request: ClipRequest): Promise<{ file: string; audioRequested: boolean }>;
}

export type CameraSelection = { ok: true; backend: CameraBackend } | { ok: false; reason: string; fix: string };
