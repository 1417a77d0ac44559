/**
 * system.notify: the desktop notification (notify-send on Linux, osascript on macOS), else a line on
 * the node's console, so the command is always available. The family is "notify", not "system": the
 * registry keys detections by family, and the system provider already owns that name.
 */
import { tmpdir } from 'node:os';
import { NotifyParamsSchema, createValidator, safeText, type NotifyBackend, type NotifyParams, type NotifyResult } from '@tether/protocol';
import { searchPath } from '../../exec-policy/resolve.js';
import { CommandError, CommandErrorCode, type CapabilityProvider, type Detection } from '../capability.js';
import { runProcess } from '../run-process.js';

export interface NotifyProviderSettings {
  /** PATH for finding notify-send/osascript, and the tools' environment (DISPLAY, DBUS_SESSION_BUS_ADDRESS). */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Where console notifications go; default stdout. */
  console?: (line: string) => void;
}

export const NOTIFY_TOOL_TIMEOUT_MS = 5_000;
const URGENCY = { passive: 'low', active: 'normal', timeSensitive: 'critical' } as const;
const notifyParams = createValidator(NotifyParamsSchema);

type SystemBackend = { name: Exclude<NotifyBackend, 'console'>; path: string };

export function createNotifyProvider(settings: NotifyProviderSettings = {}): CapabilityProvider {
  const env = settings.env ?? process.env;
  const platform = settings.platform ?? process.platform;
  const writeLine = settings.console ?? ((line: string) => void process.stdout.write(`${line}\n`));

  const findBackend = async (): Promise<SystemBackend | undefined> => {
    const name = platform === 'darwin' ? 'osascript' : 'notify-send';
    const path = await searchPath(name, env.PATH ?? '');
    return path ? { name, path } : undefined;
  };

  const notify = async (p: NotifyParams, signal: AbortSignal): Promise<NotifyResult> => {
    const backend = await findBackend();
    let problem = `no notify-send or osascript on PATH`;
    if (backend) {
      const args = backend.name === 'osascript' ? osascriptArgs(p) : notifySendArgs(p);
      const run = await runProcess({
        file: backend.path,
        argv0: backend.name,
        args,
        cwd: tmpdir(),
        env: stringEnv(env),
        timeoutMs: NOTIFY_TOOL_TIMEOUT_MS,
        capBytes: 16 * 1024,
        signal,
      });
      if (run.success) return { delivered: true, backend: backend.name };
      if (signal.aborted) throw new CommandError(CommandErrorCode.UNAVAILABLE, 'system.notify was cancelled', { cancelled: true });
      const stderr = run.stderr.trim().split('\n')[0] ?? '';
      problem = `${backend.name} failed (${run.error ?? `exit ${String(run.exitCode)}`}${stderr ? `: ${stderr}` : ''})`;
    }
    if (p.delivery === 'system') {
      const fix = platform === 'darwin' ? 'check that osascript can show notifications' : 'install libnotify-bin and run a notification daemon in the desktop session (DISPLAY/DBUS_SESSION_BUS_ADDRESS)';
      throw new CommandError(CommandErrorCode.UNAVAILABLE, `no system notification: ${problem}; ${fix}, or use delivery "auto"`, { reason: problem });
    }
    // Control and bidi characters would let a notification forge or garble log lines: shown escaped.
    writeLine(`[notify] ${safeText(p.title)}: ${safeText(p.body)}`);
    return { delivered: true, backend: 'console' };
  };

  return {
    family: 'notify',
    commands: ['system.notify'],
    detect: async (): Promise<Detection> => {
      const backend = await findBackend();
      return { available: true, backend: backend ? `${backend.name} (console fallback)` : 'console' };
    },
    run: async (command, params, signal) => {
      if (command !== 'system.notify') {
        throw new CommandError(CommandErrorCode.UNAVAILABLE, `command not supported: ${command}; the notify provider handles system.notify`);
      }
      if (!notifyParams.check(params)) throw new CommandError(CommandErrorCode.INVALID_REQUEST, `invalid system.notify params: ${notifyParams.lastError()}`);
      return notify(params, signal);
    },
  };
}

export function notifySendArgs(p: NotifyParams): string[] {
  const args = [`--urgency=${URGENCY[p.priority ?? 'active']}`, '--app-name=Tether'];
  if (p.sound === false) args.push('--hint=boolean:suppress-sound:true');
  else if (typeof p.sound === 'string') args.push(`--hint=string:sound-name:${p.sound}`);
  // '--' so a title starting with '-' is text, not an option.
  return [...args, '--', p.title, p.body];
}

/**
 * The texts travel as argv of the script's run handler, never inside the script source, so no
 * AppleScript quoting can be broken by a title.
 */
export function osascriptArgs(p: NotifyParams): string[] {
  const sound = p.sound === true ? 'default' : typeof p.sound === 'string' ? p.sound : undefined;
  const display = `display notification (item 2 of argv) with title (item 1 of argv)${sound ? ' sound name (item 3 of argv)' : ''}`;
  return ['-e', 'on run argv', '-e', display, '-e', 'end run', '--', p.title, p.body, ...(sound ? [sound] : [])];
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
