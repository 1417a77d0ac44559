import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandError } from '../capability.js';
import { createNotifyProvider } from './provider.js';

const signal = (): AbortSignal => new AbortController().signal;

describe('notify provider', () => {
  let dir: string;
  let record: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tether-notify-'));
    record = join(dir, 'argv.bin');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A fake tool that writes each argument NUL-terminated to $RECORD, then exits with `code`. */
  const fakeTool = (name: string, code = 0, stderr = ''): void => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done > "$RECORD"\n${stderr ? `echo '${stderr}' >&2\n` : ''}exit ${code}\n`);
    chmodSync(path, 0o755);
  };
  const recordedArgv = (): string[] => readFileSync(record, 'utf8').split('\0').slice(0, -1);

  it('passes title and body to notify-send as literal argv, never through a shell', async () => {
    fakeTool('notify-send');
    const marker = join(dir, 'pwned');
    const title = `$(touch ${marker})`;
    const body = 'line one\n`touch ' + marker + '`; echo "quoted"';
    const provider = createNotifyProvider({ env: { PATH: dir, RECORD: record }, platform: 'linux' });
    await expect(provider.detect()).resolves.toEqual({ available: true, backend: 'notify-send (console fallback)' });
    const result = await provider.run('system.notify', { title, body, priority: 'timeSensitive' }, signal());
    expect(result).toEqual({ delivered: true, backend: 'notify-send' });
    expect(recordedArgv()).toEqual(['--urgency=critical', '--app-name=Tether', '--', title, body]);
    expect(existsSync(marker)).toBe(false);
  });

  it('maps priority and sound onto notify-send options', async () => {
    fakeTool('notify-send');
    const provider = createNotifyProvider({ env: { PATH: dir, RECORD: record }, platform: 'linux' });
    await provider.run('system.notify', { title: '-t', body: '', priority: 'passive', sound: false }, signal());
    expect(recordedArgv()).toEqual(['--urgency=low', '--app-name=Tether', '--hint=boolean:suppress-sound:true', '--', '-t', '']);
    await provider.run('system.notify', { title: 'x', body: 'y', sound: 'bell' }, signal());
    expect(recordedArgv()).toEqual(['--urgency=normal', '--app-name=Tether', '--hint=string:sound-name:bell', '--', 'x', 'y']);
  });

  it('writes to the console when PATH has no notifier', async () => {
    const lines: string[] = [];
    const provider = createNotifyProvider({ env: { PATH: '' }, platform: 'linux', console: (line) => lines.push(line) });
    await expect(provider.detect()).resolves.toEqual({ available: true, backend: 'console' });
    const result = await provider.run('system.notify', { title: 'Door', body: 'opened\n\u001b[2Jat 12:00\u202e' }, signal());
    expect(result).toEqual({ delivered: true, backend: 'console' });
    // Newline, ESC and the bidi override are shown escaped: the text can neither forge a log line nor drive the terminal.
    expect(lines).toEqual(['[notify] Door: opened\\x0a\\x1b[2Jat 12:00\\u{202e}']);
  });

  it('falls back to the console when notify-send fails, unless delivery is "system"', async () => {
    fakeTool('notify-send', 1, 'Cannot autolaunch D-Bus without X11 $DISPLAY');
    const lines: string[] = [];
    const provider = createNotifyProvider({ env: { PATH: dir, RECORD: record }, platform: 'linux', console: (line) => lines.push(line) });
    await expect(provider.run('system.notify', { title: 'a', body: 'b', delivery: 'auto' }, signal())).resolves.toEqual({ delivered: true, backend: 'console' });
    expect(lines).toEqual(['[notify] a: b']);
    const error = await provider.run('system.notify', { title: 'a', body: 'b', delivery: 'system' }, signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).code).toBe('UNAVAILABLE');
    expect((error as CommandError).message).toContain('notify-send failed (exit 1: Cannot autolaunch D-Bus without X11 $DISPLAY)');
    expect((error as CommandError).message).toContain('install libnotify-bin');
  });

  it('on macOS passes the texts to osascript as run-handler arguments', async () => {
    fakeTool('osascript');
    const provider = createNotifyProvider({ env: { PATH: dir, RECORD: record }, platform: 'darwin' });
    const title = 'say "hi" \\ & do shell script "touch /tmp/x"';
    await expect(provider.run('system.notify', { title, body: 'b', sound: 'Glass' }, signal())).resolves.toEqual({ delivered: true, backend: 'osascript' });
    expect(recordedArgv()).toEqual([
      '-e', 'on run argv',
      '-e', 'display notification (item 2 of argv) with title (item 1 of argv) sound name (item 3 of argv)',
      '-e', 'end run',
      '--', title, 'b', 'Glass',
    ]);
  });

  it('rejects bad params with INVALID_REQUEST', async () => {
    const provider = createNotifyProvider({ env: { PATH: '' }, console: () => undefined });
    for (const params of [{ title: '', body: 'x' }, { title: 'x' }, { title: 'x', body: 'y', priority: 'urgent' }, { title: 'x', body: 'y', extra: 1 }]) {
      const error = await provider.run('system.notify', params, signal()).catch((e: unknown) => e);
      expect((error as CommandError).code, JSON.stringify(params)).toBe('INVALID_REQUEST');
    }
  });
});
