export { createNotifyProvider, notifySendArgs, osascriptArgs, NOTIFY_TOOL_TIMEOUT_MS, type NotifyProviderSettings } from './provider.js';
