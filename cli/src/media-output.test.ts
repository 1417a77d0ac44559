import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultMediaPath, saveMediaResult } from './media-output.js';
import { CliError } from './output.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
const target = { url: 'ws://127.0.0.1:9', timeoutMs: 1_000 };

let base: string;
let tmp: string;
let home: string;
let savedTmp: string | undefined;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'tether-media-out-'));
  tmp = join(base, 'tmp');
  home = join(base, 'home');
  mkdirSync(tmp);
  mkdirSync(home);
  savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
});
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(base, { recursive: true, force: true });
});

async function refusal(command: string, payload: unknown): Promise<CliError> {
  try {
    await saveMediaResult(command, payload, target);
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('saved');
}

const snap = (extra: Record<string, unknown>) => ({ format: 'jpg', base64: JPEG.toString('base64'), width: 1, height: 1, ...extra });

describe('saveMediaResult', () => {
  it('saves a valid snapshot directly in the temp dir with the extension of the command, keeping extra fields', async () => {
    const saved = await saveMediaResult('camera.snap', snap({ vendor: 'x' }), target);
    expect(saved.path.startsWith(join(tmp, 'tether-camera-snap-'))).toBe(true);
    expect(saved.path.endsWith('.jpg')).toBe(true);
    expect(readFileSync(saved.path)).toEqual(JPEG);
    expect(saved).toMatchObject({ format: 'jpg', bytes: JPEG.length, vendor: 'x', width: 1 });
    expect(saved).not.toHaveProperty('base64');
  });

  it.each([
    ['a path-like format', 'camera.snap', snap({ format: '/../../home/.bashrc' })],
    ['a format with a slash', 'screen.snapshot', { format: 'png/../../../home/.bashrc', base64: 'AA==', width: 1, height: 1, screenIndex: 0 }],
    ['a format of another command', 'camera.snap', snap({ format: 'mp4' })],
    ['a shell script as a clip', 'camera.clip', { format: 'sh', base64: 'AA==', durationMs: 1, hasAudio: false }],
    ['non-string base64', 'camera.snap', snap({ base64: 42 })],
    ['no media at all', 'camera.snap', { format: 'jpg', width: 1, height: 1 }],
    ['a negative width', 'camera.snap', snap({ width: -1 })],
    ['a mediaId that is a path', 'camera.clip', { format: 'mp4', mediaId: '../../../etc/passwd', durationMs: 1, hasAudio: false }],
    ['not an object', 'camera.snap', 'jpg'],
  ])('refuses %s and writes nothing', async (_label, command, payload) => {
    const error = await refusal(command, payload);
    expect(error.code).toBe('INVALID_NODE_RESULT');
    expect(error.message).toContain(command);
    expect(error.message).toContain('nothing was printed or saved');
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
  });

  it('refuses inline media whose sha256 does not match', async () => {
    const error = await refusal('camera.snap', snap({ sha256: 'b'.repeat(64) }));
    expect(error.code).toBe('MEDIA_DAMAGED');
    expect(readdirSync(tmp)).toEqual([]);
    const sha256 = createHash('sha256').update(JPEG).digest('hex');
    expect((await saveMediaResult('camera.snap', snap({ sha256 }), target)).sha256).toBe(sha256);
  });

  it('refuses a node-chosen URL instead of fetching it from the operator\'s machine', async () => {
    const error = await refusal('camera.snap', { format: 'jpg', url: 'https://169.254.169.254/latest/meta-data', width: 1, height: 1 });
    expect(error.code).toBe('MEDIA_URL_UNSUPPORTED');
  });

  it('writes where the operator said with --out', async () => {
    const out = join(base, 'mine.jpg');
    expect((await saveMediaResult('camera.snap', snap({}), target, out)).path).toBe(out);
    expect(readFileSync(out)).toEqual(JPEG);
  });
});

describe('defaultMediaPath', () => {
  it('is always a new file directly in the directory, named from the command only', () => {
    const path = defaultMediaPath('screen.record', 'mp4', tmp);
    expect(path.startsWith(join(tmp, 'tether-screen-record-'))).toBe(true);
    expect(path.endsWith('.mp4')).toBe(true);
  });
});
