export { SCREEN_COMMAND_NAMES, createScreenProvider } from './provider.js';
export type { RecordRequest, ScreenBackend, ScreenContext, ScreenSettings } from './types.js';
