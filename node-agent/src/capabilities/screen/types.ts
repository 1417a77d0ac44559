/** The screen provider's settings and the interface each capture backend implements. */

export interface ScreenSettings {
  /** X11 display to capture, e.g. ":0"; default env.DISPLAY. */
  display?: string;
  /** Environment for backend discovery and the tools' children (PATH, DISPLAY, XAUTHORITY, …); default process.env. */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export interface ScreenContext {
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** A private directory removed after the call. */
  tmpDir: string;
}

export interface RecordRequest {
  screenIndex: number;
  durationMs: number;
  fps: number;
}

export interface ScreenBackend {
  /** Reported by detect(): "x11", "wayland", "screencapture". */
  readonly name: string;
  /** Captures one still of the screen (any format sharp decodes) and returns its path. */
  snapshot(ctx: ScreenContext, screenIndex: number): Promise<string>;
  /** Records an MP4 (video only) and returns its path. */
  record(ctx: ScreenContext, request: RecordRequest): Promise<string>;
}

export type ScreenSelection = { ok: true; backend: ScreenBackend } | { ok: false; reason: string; fix: string };
