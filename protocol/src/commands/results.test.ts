import { describe, expect, it } from 'vitest';
import { hasUnsafeChars } from '../display.js';
import { CAMERA_COMMANDS } from './camera.js';
import { LOCATION_COMMANDS } from './location.js';
import { MEDIA_FILE_EXTENSIONS, mediaFileExtension } from './media-files.js';
import { NOTIFY_COMMANDS } from './notify.js';
import { checkCommandResult, hasResultSchema, MEDIA_RESULT_COMMANDS } from './results.js';
import { SCREEN_COMMANDS } from './screen.js';
import { SYSTEM_COMMANDS } from './system.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0]).toString('base64');
const SHA = 'a'.repeat(64);

/** One valid answer per command with a schema: the hostile rows below each break exactly one thing. */
const VALID: Record<string, Record<string, unknown>> = {
  'system.run': { exitCode: 0, timedOut: false, success: true, stdout: 'Linux\n', stderr: '', error: null },
  'system.which': { bins: { sh: '/usr/bin/sh' } },
  'camera.list': { devices: [{ id: '/dev/video0', name: 'USB cam', backend: 'v4l2' }] },
  'camera.snap': { format: 'jpg', base64: JPEG, width: 640, height: 480 },
  'camera.clip': { format: 'mp4', mediaId: SHA, sha256: SHA, bytes: 10, durationMs: 3000, hasAudio: false },
  'screen.snapshot': { format: 'png', base64: JPEG, width: 1920, height: 1080, screenIndex: 0 },
  'screen.record': { format: 'mp4', base64: JPEG, durationMs: 1000, fps: 10, screenIndex: 0, hasAudio: false },
  'location.get': { lat: 48.2, lon: 16.37, accuracyMeters: 12.5, timestamp: '2026-01-03T12:34:56.000Z', isPrecise: true, source: 'gps' },
  'system.notify': { delivered: true, backend: 'notify-send' },
};

const reasonOf = (command: string, payload: unknown): string => {
  const check = checkCommandResult(command, payload);
  if (check.ok) throw new Error(`${command} accepted ${JSON.stringify(payload)}`);
  return check.reason;
};

describe('checkCommandResult', () => {
  it('covers every command in protocol/src/commands that has a result schema', () => {
    const all = [SYSTEM_COMMANDS, CAMERA_COMMANDS, SCREEN_COMMANDS, LOCATION_COMMANDS, NOTIFY_COMMANDS].flatMap((family) => Object.keys(family));
    expect(all.filter((command) => !hasResultSchema(command))).toEqual([]);
    expect(Object.keys(VALID).sort()).toEqual([...all].sort());
  });

  it.each(Object.entries(VALID))('accepts a valid %s result', (command, payload) => {
    expect(checkCommandResult(command, payload)).toEqual({ ok: true });
  });

  it.each(Object.entries(VALID))('accepts extra fields at every level in a %s result (OpenClaw nodes add their own)', (command, payload) => {
    const extended = { ...payload, vendor: { anything: [1, 2] } } as Record<string, unknown>;
    if (command === 'camera.list') extended.devices = [{ id: 'a', name: 'b', backend: 'avfoundation', vendorField: true }];
    expect(checkCommandResult(command, extended)).toEqual({ ok: true });
  });

  it("accepts OpenClaw's captured and documented shapes", () => {
    // Captured from OpenClaw node hosts 2026.4.24 and 2026.9.6 (test/fixtures/openclaw).
    expect(checkCommandResult('system.run', { exitCode: 3, timedOut: false, success: false, stdout: 'out\n', stderr: 'err\n', error: null })).toEqual({ ok: true });
    expect(checkCommandResult('system.which', { bins: { sh: '/usr/bin/sh', uname: '/usr/bin/uname' } })).toEqual({ ok: true });
    // Documented (openclaw-nodes-pairing.md): camera.list devices carry no backend, newer nodes answer a URL.
    expect(checkCommandResult('camera.list', { devices: [{ id: '1', name: 'FaceTime HD', position: 'front', deviceType: 'builtInWideAngleCamera' }] })).toEqual({ ok: true });
    expect(checkCommandResult('camera.snap', { format: 'jpg', url: 'https://gw.example/media/1', width: 1600, height: 1200 })).toEqual({ ok: true });
    // What a Tether node relays from its gateway's upload answer (gateway/src/http.ts): a path on that gateway.
    expect(checkCommandResult('camera.clip', { format: 'mp4', mediaId: SHA, url: `/media/${SHA}`, bytes: 5, sha256: SHA, durationMs: 1, hasAudio: false })).toEqual({ ok: true });
  });

  it('lets commands without a schema through (OpenClaw commands such as canvas.snapshot)', () => {
    expect(hasResultSchema('canvas.snapshot')).toBe(false);
    expect(checkCommandResult('canvas.snapshot', { format: '../../x', base64: 42 })).toEqual({ ok: true });
    expect(checkCommandResult('toString', 'anything')).toEqual({ ok: true });
  });

  it.each<[string, string, Record<string, unknown>, RegExp]>([
    ['wrong format', 'camera.snap', { format: 'png' }, /^camera\.snap result: format: /],
    ['path-like format', 'camera.snap', { format: '/../../../home/u/.bashrc' }, /format/],
    ['path-like screen format', 'screen.snapshot', { format: 'png/../../x' }, /format/],
    ['shell format on a clip', 'camera.clip', { format: 'sh' }, /format/],
    ['non-string base64', 'camera.snap', { base64: 42 }, /base64: must be string/],
    ['base64 that is not base64', 'screen.record', { base64: 'echo "$(id)" > ~/.bashrc' }, /base64 is not base64/],
    ['negative width', 'camera.snap', { width: -1 }, /width: must be >= 1/],
    ['fractional height', 'screen.snapshot', { height: 1.5 }, /height: must be integer/],
    ['malformed mediaId', 'camera.clip', { mediaId: '../../etc/passwd' }, /mediaId: must match pattern/],
    ['malformed sha256', 'camera.clip', { sha256: 'abc' }, /sha256: must match pattern/],
    ['plain-http url', 'camera.snap', { base64: undefined, url: 'http://169.254.169.254/latest' }, /url must be https/],
    ['file url', 'camera.snap', { base64: undefined, url: 'file:///home/u/.ssh/id_ed25519' }, /url must be https/],
    ['protocol-relative url', 'camera.snap', { base64: undefined, url: '//evil.example/x' }, /url is neither/],
    ['url that is not one', 'camera.snap', { base64: undefined, url: 'not a url' }, /url is neither/],
    ['no media at all', 'camera.snap', { base64: undefined }, /carries no media/],
    ['stdout not a string', 'system.run', { stdout: 42 }, /stdout: must be string/],
    ['exitCode a string', 'system.run', { exitCode: '0' }, /exitCode/],
    ['which path not a string', 'system.which', { bins: { sh: 1 } }, /bins\.sh: must be string/],
    ['latitude out of range', 'location.get', { lat: 91 }, /lat: must be <= 90/],
    ['unknown notify backend', 'system.notify', { backend: 'rm -rf' }, /backend/],
  ])('refuses %s', (_label, command, change, expected) => {
    const payload: Record<string, unknown> = { ...VALID[command]!, ...change };
    for (const [key, value] of Object.entries(change)) if (value === undefined) delete payload[key];
    expect(reasonOf(command, payload)).toMatch(expected);
  });

  it.each<[string, string, string]>([
    ['system.run', 'stdout', 'stdout'],
    ['camera.snap', 'width', 'width'],
    ['camera.clip', 'hasAudio', 'hasAudio'],
    ['screen.record', 'format', 'format'],
    ['location.get', 'isPrecise', 'isPrecise'],
  ])('refuses a %s result missing %s', (command, field, named) => {
    const { [field]: _dropped, ...rest } = VALID[command]!;
    expect(reasonOf(command, rest)).toContain(`missing required property "${named}"`);
  });

  it('refuses results that are not objects', () => {
    for (const payload of [null, 'jpg', 42, [VALID['camera.snap']]]) expect(reasonOf('camera.snap', payload)).toMatch(/^camera\.snap result: value: must be object$/);
  });

  it('still checks types in fields kept optional for OpenClaw', () => {
    expect(reasonOf('camera.list', { devices: [{ id: 'a', name: 'b', backend: 7 }] })).toMatch(/backend: must be string/);
    expect(reasonOf('camera.list', { devices: 'not-a-list' })).toMatch(/devices: must be array/);
    expect(reasonOf('system.notify', { delivered: 'yes' })).toMatch(/delivered: must be boolean/);
  });

  it('checks base64 in linear time (no backtracking blow-up on a hostile megabyte)', () => {
    const started = performance.now();
    expect(reasonOf('camera.snap', { ...VALID['camera.snap'], base64: `${'\n'.repeat(200_000)}!` })).toMatch(/base64 is not base64/);
    expect(reasonOf('camera.snap', { ...VALID['camera.snap'], base64: `${'A'.repeat(200_000)}=\n!` })).toMatch(/base64 is not base64/);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(checkCommandResult('camera.snap', { ...VALID['camera.snap'], base64: `${'QUJD'.repeat(19)}\r\nQQ==\n` })).toEqual({ ok: true });
  });

  it('gives a terminal-safe reason of bounded length even for hostile keys', () => {
    const key = `\x1b[2J${'k'.repeat(500)}`;
    const reason = reasonOf('system.which', { bins: { [key]: 1 } });
    expect(hasUnsafeChars(reason)).toBe(false);
    expect(reason.length).toBeLessThanOrEqual(300);
  });
});

describe('mediaFileExtension', () => {
  it('has an extension for every media command, and only those', () => {
    expect(Object.keys(MEDIA_FILE_EXTENSIONS).sort()).toEqual([...MEDIA_RESULT_COMMANDS].sort());
  });

  it.each([
    ['camera.snap', 'jpg', 'jpg'],
    ['camera.clip', 'mp4', 'mp4'],
    ['screen.snapshot', 'png', 'png'],
    ['screen.snapshot', 'jpg', 'jpg'],
    ['screen.record', 'mp4', 'mp4'],
  ])('%s + %s → .%s, and the schema accepts that format', (command, format, extension) => {
    expect(mediaFileExtension(command, format)).toBe(extension);
    expect(checkCommandResult(command, { ...VALID[command], format })).toEqual({ ok: true });
  });

  it.each([
    ['camera.snap', 'png'],
    ['camera.snap', '/../../../home/u/.bashrc'],
    ['camera.snap', 'constructor'],
    ['camera.snap', 42],
    ['screen.record', 'mp4/../../x'],
    ['canvas.snapshot', 'png'],
    ['__proto__', 'jpg'],
  ])('%s + %j → no extension', (command, format) => {
    expect(mediaFileExtension(command, format)).toBeUndefined();
  });
});
