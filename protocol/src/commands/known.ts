/**
 * Node command names the mesh knows: Tether's own and the ones OpenClaw nodes declare. Config that
 * names a command outside this list is rejected at start-up (a typo must not be a silent no-op).
 */
import { CAMERA_COMMANDS } from './camera.js';
import { LOCATION_COMMANDS } from './location.js';
import { NOTIFY_COMMANDS } from './notify.js';
import { SCREEN_COMMANDS } from './screen.js';
import { SYSTEM_COMMANDS } from './system.js';

export const TETHER_COMMANDS: readonly string[] = [
  ...Object.keys(SYSTEM_COMMANDS),
  ...Object.keys(CAMERA_COMMANDS),
  ...Object.keys(SCREEN_COMMANDS),
  ...Object.keys(LOCATION_COMMANDS),
  ...Object.keys(NOTIFY_COMMANDS),
];

/** Commands OpenClaw node hosts and apps declare (2026.4–2026.9). */
export const OPENCLAW_COMMANDS: readonly string[] = [
  'system.run.prepare',
  'system.execApprovals.get',
  'system.execApprovals.set',
  'browser.proxy',
  'desktop.stream',
  'dir.fetch',
  'dir.list',
  'file.create',
  'file.fetch',
  'file.stat',
  'file.write',
  'fs.listDir',
  'mcp.tools.call.v1',
  'ollama.chat',
  'ollama.models',
  'terminal.upload',
  'workspace.memory',
  'workspace.skills',
  'anthropic.claude.sessions.list.v1',
  'anthropic.claude.sessions.read.v1',
  'device.apps',
  'device.info',
  'device.status',
  'device.permissions',
  'device.health',
  'canvas.present',
  'canvas.hide',
  'canvas.navigate',
  'canvas.eval',
  'canvas.snapshot',
  'canvas.a2ui.push',
  'canvas.a2ui.reset',
  'contacts.search',
  'calendar.events',
  'reminders.list',
  'photos.latest',
  'motion.activity',
  'motion.pedometer',
  'notifications.list',
  'notifications.actions',
  'callLog',
  'sms.send',
];

export const KNOWN_NODE_COMMANDS: ReadonlySet<string> = new Set([...TETHER_COMMANDS, ...OPENCLAW_COMMANDS]);

/** Commands that capture people or where they are: shown apart at approval time, each can be left out. */
export const CAPTURE_COMMANDS: ReadonlySet<string> = new Set(['camera.snap', 'camera.clip', 'screen.snapshot', 'screen.record', 'location.get']);
