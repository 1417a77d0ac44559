/** Backend selection and the Raspberry Pi path, with a fake rpicam-still first on PATH. */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CameraSnapResult } from '@tether/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError } from '../capability.js';
import { parseImagesnapList } from './imagesnap.js';
import { parseRpicamCameraList } from './rpicam.js';
import { createCameraProvider } from './provider.js';
import { parseV4l2CtlListDevices } from './v4l2.js';
import { rejectionOf } from '../../../../test/helpers/rejection.js';

const FAKE = fileURLToPath(new URL('../../../test-fixtures/fake-rpicam-still.sh', import.meta.url));
const never = new AbortController().signal;

let dir: string;
let bin: string;
let fixture: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tether-rpicam-test-'));
  bin = join(dir, 'bin');
  fixture = join(dir, 'fixture.jpg');
  await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3366cc' } }).jpeg().toFile(fixture);
  mkdirSync(bin);
  copyFileSync(FAKE, join(bin, 'rpicam-still'));
  chmodSync(join(bin, 'rpicam-still'), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function piEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: `${bin}:/usr/bin:/bin`, FAKE_RPICAM_FIXTURE: fixture, ...extra };
}

const failure = (promise: Promise<unknown>) => rejectionOf(promise, CommandError);

describe('Raspberry Pi camera (fake rpicam-still)', () => {
  it('is detected ahead of USB webcams', async () => {
    expect(await createCameraProvider({ env: piEnv(), platform: 'linux' }).detect()).toEqual({ available: true, backend: 'rpicam' });
  });

  it('snaps through rpicam-still with -n, -t, -o and the configured size', async () => {
    const log = join(dir, 'argv.log');
    const camera = createCameraProvider({ env: piEnv({ FAKE_RPICAM_LOG: log }), platform: 'linux', width: 1280, height: 720 });
    const result = (await camera.run('camera.snap', { delayMs: 500 }, never)) as CameraSnapResult;
    expect([result.format, result.width, result.height]).toEqual(['jpg', 400, 300]);
    const meta = await sharp(Buffer.from(result.base64!, 'base64')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 400, 300]);
    const argv = readFileSync(log, 'utf8').split('\n');
    expect(argv).toContain('-n');
    expect(argv[argv.indexOf('-t') + 1]).toBe('500');
    expect(argv[argv.indexOf('--width') + 1]).toBe('1280');
    expect(argv[argv.indexOf('--height') + 1]).toBe('720');
    const out = argv[argv.indexOf('-o') + 1] as string;
    expect(out).toMatch(/snap\.jpg$/);
    expect(existsSync(out)).toBe(false); // the temp dir is gone
  });

  it('uses -t 1 without a delay, omits --width when no size is set, and honours maxWidth', async () => {
    const log = join(dir, 'argv2.log');
    const camera = createCameraProvider({ env: piEnv({ FAKE_RPICAM_LOG: log }), platform: 'linux' });
    const result = (await camera.run('camera.snap', { maxWidth: 200, deviceId: '0' }, never)) as CameraSnapResult;
    expect([result.width, result.height]).toEqual([200, 150]);
    const argv = readFileSync(log, 'utf8').split('\n');
    expect(argv[argv.indexOf('-t') + 1]).toBe('1');
    expect(argv).not.toContain('--width');
    expect(argv[argv.indexOf('--camera') + 1]).toBe('0');
  });

  it('reports a Pi without a camera as CAMERA_UNAVAILABLE with the tool\'s words', async () => {
    const camera = createCameraProvider({ env: piEnv({ FAKE_RPICAM_EXIT: '1', FAKE_RPICAM_STDERR: 'no cameras available' }), platform: 'linux' });
    const error = await failure(camera.run('camera.snap', {}, never));
    expect(error.code).toBe('CAMERA_UNAVAILABLE');
    expect(error.message).toContain('rpicam-still exited with code 1: no cameras available');
    expect(error.message).toMatch(/rpicam-hello --list-cameras/);
    expect(error.details).toMatchObject({ exitCode: 1, stderr: 'no cameras available\n' });
  });

  it('maps permission errors to CAMERA_PERMISSION_REQUIRED', async () => {
    const env = piEnv({ FAKE_RPICAM_EXIT: '255', FAKE_RPICAM_STDERR: 'ERROR: failed to open /dev/media0: Permission denied' });
    const error = await failure(createCameraProvider({ env, platform: 'linux' }).run('camera.snap', {}, never));
    expect(error.code).toBe('CAMERA_PERMISSION_REQUIRED');
    expect(error.message).toMatch(/usermod -aG video/);
  });

  it('says what to install when rpicam-vid is missing for a clip', async () => {
    const error = await failure(createCameraProvider({ env: piEnv(), platform: 'linux' }).run('camera.clip', { durationMs: 500 }, never));
    expect(error.code).toBe('CAMERA_UNAVAILABLE');
    expect(error.message).toMatch(/rpicam-vid.*sudo apt-get install rpicam-apps/);
  });
});

describe('detection without any camera tool', () => {
  it('names what is missing and how to fix it', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const camera = createCameraProvider({ env: { PATH: empty }, platform: 'linux' });
    const detection = await camera.detect();
    expect(detection.available).toBe(false);
    if (detection.available) return;
    expect(detection.reason).toMatch(/ffmpeg/);
    expect(detection.reason).toMatch(/rpicam-still/);
    expect(detection.fix).toMatch(/sudo apt-get install ffmpeg/);
    const error = await failure(camera.run('camera.snap', {}, never));
    expect(error.code).toBe('CAMERA_UNAVAILABLE');
    expect(error.message).toMatch(/sudo apt-get install/);
  });

  it('on macOS asks for ffmpeg or imagesnap', async () => {
    const detection = await createCameraProvider({ env: { PATH: '/nonexistent' }, platform: 'darwin' }).detect();
    expect(detection).toMatchObject({ available: false, fix: expect.stringMatching(/brew install ffmpeg/) });
  });
});

describe('listing parsers', () => {
  it('reads v4l2-ctl --list-devices', () => {
    const text = [
      'bcm2835-codec-decode (platform:bcm2835-codec):',
      '\t/dev/video10',
      '\t/dev/video11',
      '',
      'HD Pro Webcam C920 (usb-0000:00:14.0-1):',
      '\t/dev/video0',
      '\t/dev/video1',
      '\t/dev/media0',
      '',
    ].join('\n');
    expect(parseV4l2CtlListDevices(text)).toEqual([
      { name: 'bcm2835-codec-decode', bus: 'platform:bcm2835-codec', paths: ['/dev/video10', '/dev/video11'] },
      { name: 'HD Pro Webcam C920', bus: 'usb-0000:00:14.0-1', paths: ['/dev/video0', '/dev/video1', '/dev/media0'] },
    ]);
  });

  it('reads rpicam-hello --list-cameras', () => {
    const text = [
      'Available cameras',
      '-----------------',
      '0 : imx708_wide [4608x2592 10-bit RGGB] (/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a)',
      "    Modes: 'SRGGB10_CSI2P' : 1536x864 [120.13 fps - (768, 432)/3072x1728 crop]",
      '                             2304x1296 [56.03 fps - (0, 0)/4608x2592 crop]',
      '1 : imx219 [3280x2464 8-bit RGGB] (/base/axi/pcie@120000/rp1/i2c@80000/imx219@10)',
    ].join('\n');
    expect(parseRpicamCameraList(text)).toEqual([
      { id: '0', name: 'imx708_wide [4608x2592 10-bit RGGB]', deviceType: 'csi', backend: 'rpicam' },
      { id: '1', name: 'imx219 [3280x2464 8-bit RGGB]', deviceType: 'csi', backend: 'rpicam' },
    ]);
    expect(parseRpicamCameraList('No cameras available!')).toEqual([]);
  });

  it('reads imagesnap -l', () => {
    expect(parseImagesnapList('Video Devices:\n=> FaceTime HD Camera\n=> USB Camera\n')).toEqual([
      { id: 'FaceTime HD Camera', name: 'FaceTime HD Camera', position: 'front', backend: 'imagesnap' },
      { id: 'USB Camera', name: 'USB Camera', backend: 'imagesnap' },
    ]);
  });
});
