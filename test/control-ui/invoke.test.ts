/**
 * The Nodes view's invoke panel in a real Chromium, against a real gateway and two real node
 * processes paired from the page: run `uname` and compare with `uname -s` here; a failing program's
 * exit code and stderr; hostile output shown as text; a run that waits for an exec approval; a screen
 * snapshot of an Xvfb display whose PIXELS are the colour painted on it; a camera snapshot (ffmpeg's
 * lavfi colour source) fetched by reference from the gateway's media store, pixels checked too; a clip
 * that plays; the location as coordinates on the page's own map.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecApproval } from '@tether/protocol';
import { writeExecPolicy } from '../../node-agent/src/exec-policy/policy-file.js';
import { CASE_MS, chromiumMissing as missing, launchChromium, logIn, openView, screenshot, WAIT, watchedPage } from '../helpers/control-ui.js';
import { cleanup, eventually, ROOT, runTether, runTetherJson, spawnProcess, spawnTether, startGatewayProcess, tempDir, type GatewayProcess, type Spawned } from '../helpers/processes.js';
import { startXvfb } from '../helpers/xvfb-display.js';
import { loadMedia, MediaError, sniffMedia } from '../../gateway/ui/src/media-blob.js';
import { argvFromLines, outputText } from '../../gateway/ui/src/views/invoke-text.js';

/** Painted on the Xvfb root window; the screen snapshot must show exactly this. */
const SCREEN_RGB = [0x2a, 0x9d, 0x8f] as const;
/** ffmpeg's lavfi colour source for the camera; JPEG leaves it within a few levels. */
const CAMERA_RGB = [0xe0, 0x70, 0x20] as const;
const HOSTILE = '<img src=x onerror=alert(1)>';
const LOCATION = { lat: 48.20849, lon: 16.37208, accuracyMeters: 35 };

let gateway: GatewayProcess;
let browser: Browser;
let page: Page;
let dialogs: string[] = [];
let pageErrors: string[] = [];
/** Every frame the page sent on its gateway socket (to see the same invoke asked for again). */
const sent: string[] = [];
const nodes: Spawned[] = [];
const gw = () => ['--state-dir', gateway.stateDir];

const hex = (rgb: readonly number[]) => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
/** The program's file on PATH (a shell's `command -v` would name its printf builtin). */
const which = (name: string): string => {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, name))) return realpathSync(join(dir, name));
  throw new Error(`${name} is not on PATH`);
};

/** The NMEA log node-agent's gpsd test replays (Vienna, 48.20849 N 16.37208 E). */
const NMEA = join(ROOT, 'node-agent/test-fixtures/vienna.nmea');
let gpsdPort = 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A private gpsd replaying the log (gpsfake, as node-agent's gpsd.test.ts); its group is ended by cleanup(). */
async function startGpsfake(): Promise<number> {
  const port = await freePort();
  const dir = tempDir('tether-ui-gpsfake-');
  // TMPDIR: gpsfake puts gpsd's control socket there. -n: no client needed; -c 0.2: a sentence every 200 ms, looping.
  const gps = spawnProcess('gpsfake', ['-P', String(port), '-n', '-q', '-c', '0.2', NMEA], { TMPDIR: dir }, { cwd: dir, group: true });
  await eventually(
    () =>
      new Promise<true | undefined>((resolve) => {
        if (gps.child.exitCode !== null) throw new Error(`gpsfake exited: ${gps.output()}`);
        const socket = connect({ host: '127.0.0.1', port }, () => (socket.destroy(), resolve(true)));
        socket.on('error', () => resolve(undefined));
      }),
    20_000,
  );
  return port;
}

/** The parts of the page's elements the tests read (the test program has no DOM types). */
type Img = { complete: boolean; naturalWidth: number; naturalHeight: number; src: string };
type Vid = { readyState: number; duration: number; currentTime: number; error: unknown; play(): Promise<void> };
type Canvas = { width: number; height: number; getContext(kind: '2d'): { drawImage(image: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };

/** The card of the node with this display name in the Nodes view. */
const card = (name: string): Locator => page.locator('li.node', { has: page.locator('.name', { hasText: new RegExp(`^${name}$`) }) });

async function run(node: Locator, argv: string[]): Promise<Locator> {
  await node.locator('textarea.argv').fill(argv.join('\n'));
  const result = node.locator('.run-result');
  await node.locator('button.run').click();
  await expect.poll(() => result.getAttribute('data-phase'), WAIT).toMatch(/^(done|failed)$/);
  return result;
}

/** RGB of a few points (centre and near the corners) of a shown <img>, read back through a canvas. */
function pixels(img: Locator): Promise<number[][]> {
  return img.evaluate((element) => {
    const image = element as unknown as Img;
    const canvas = (globalThis as unknown as { document: { createElement(tag: 'canvas'): Canvas } }).document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const w = image.naturalWidth;
    const h = image.naturalHeight;
    return [
      [w >> 1, h >> 1],
      [2, 2],
      [w - 3, 2],
      [2, h - 3],
      [w - 3, h - 3],
    ].map(([x, y]) => Array.from(context.getImageData(x!, y!, 1, 1).data.slice(0, 3)));
  });
}

async function shownImage(node: Locator, command: string): Promise<Locator> {
  const section = node.locator(`.invoke-capture[data-command="${command}"]`);
  await section.locator('button.capture').click();
  const result = section.locator('.capture-result');
  await expect.poll(() => result.getAttribute('data-phase'), WAIT).toMatch(/^(shown|failed)$/);
  expect(await result.textContent()).not.toMatch(/error|failed/i);
  const img = result.locator('img.snapshot');
  await expect.poll(() => img.evaluate((element) => (element as unknown as Img).complete && (element as unknown as Img).naturalWidth), WAIT).toBeGreaterThan(0);
  return img;
}

describe.skipIf(missing !== undefined)(`the invoke panel in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    gateway = await startGatewayProcess();
    const x = await startXvfb(hex(SCREEN_RGB));
    gpsdPort = await startGpsfake();

    // "desk": runs programs (uname, ls, printf allowlisted; anything else asks an operator) and shows its screen.
    const deskDir = tempDir('tether-ui-desk-');
    await writeExecPolicy(deskDir, { version: 1, security: 'allowlist', ask: 'on-miss', allowlist: [which('uname'), which('ls'), which('printf')] });
    writeFileSync(join(deskDir, 'node-config.json'), JSON.stringify({ version: 1, screen: { display: x.display }, location: { gpsd: { enabled: true, host: '127.0.0.1', port: gpsdPort }, geoclue: false } }));
    // "cam": a synthetic camera and a fixed location; every capture leaves the socket (inline limit 1 byte).
    const camDir = tempDir('tether-ui-cam-');
    writeFileSync(
      join(camDir, 'node-config.json'),
      JSON.stringify({ version: 1, camera: { source: `lavfi:color=c=0x${hex(CAMERA_RGB).slice(1)}:s=320x240:r=10` }, location: { fixed: LOCATION, gpsd: { enabled: false }, geoclue: false }, media: { inlineMaxBytes: 1 } }),
    );
    for (const [name, dir] of [['desk', deskDir], ['cam', camDir]] as const) {
      nodes.push(spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', dir, '--display-name', name]));
    }
    browser = await launchChromium();
    ({ page, dialogs, errors: pageErrors } = await watchedPage(browser));
    page.on('websocket', (socket) => socket.on('framesent', (frame) => sent.push(String(frame.payload))));
    await page.setViewportSize({ width: 760, height: 1000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cleanup();
    // gpsd leaves its per-port shared-memory segment behind (gpsfake's key: 0x4770<port>).
    if (gpsdPort) spawnSync('ipcrm', ['-M', `0x4770${gpsdPort.toString(16).toUpperCase().padStart(4, '0')}`], { stdio: 'ignore' });
  }, CASE_MS);

  it('pairs both nodes from the page; each online node gets an invoke panel offering what it declares', async () => {
    await logIn(page, gateway);
    for (const name of ['desk', 'cam']) {
      const pending = page.locator('li.pending', { hasText: name });
      await pending.waitFor(WAIT).catch((error: Error) => {
        throw new Error(`${error.message}\n${nodes.map((n) => n.output()).join('\n---\n')}`);
      });
      await pending.locator('button.approve').click();
      await pending.waitFor({ state: 'detached', ...WAIT });
    }
    await openView(page, 'Nodes');
    for (const name of ['desk', 'cam']) await expect.poll(() => card(name).getAttribute('data-state'), WAIT).toBe('online');
    await card('desk').locator('.invoke-capture[data-command="screen.snapshot"]').waitFor(WAIT);
    await card('cam').locator('.invoke-capture[data-command="camera.snap"]').waitFor(WAIT);
    expect(await card('desk').locator('form.invoke-run button.run').isDisabled()).toBe(false);
    expect(await card('cam').locator('.invoke-location button.locate').count()).toBe(1);
  }, CASE_MS);

  it('runs uname and shows what `uname -s` says here', async () => {
    const result = await run(card('desk'), ['uname', '-s']);
    expect(await result.getAttribute('data-phase')).toBe('done');
    expect(await result.locator('.exit-code').textContent()).toBe('0');
    expect((await result.locator('.stdout pre').textContent())?.trim()).toBe(execFileSync('uname', ['-s'], { encoding: 'utf8' }).trim());
  }, CASE_MS);

  it('a program that fails: its exit code and stderr', async () => {
    const missingPath = '/nonexistent-tether-ui-path';
    let expected = 0;
    try {
      execFileSync('ls', [missingPath], { stdio: 'ignore' });
    } catch (error) {
      expected = (error as { status: number }).status;
    }
    expect(expected).not.toBe(0);
    const result = await run(card('desk'), ['ls', missingPath]);
    expect(await result.locator('.exit-code').textContent()).toBe(String(expected));
    expect(await result.locator('.stderr pre').textContent()).toContain(missingPath);
    expect(await result.locator('.stdout pre').textContent()).toBe('');
  }, CASE_MS);

  it('hostile program output is text: no element, no dialog, the ESC shown as \\x1b', async () => {
    const result = await run(card('desk'), ['printf', `${HOSTILE}\\033[31mred\\n`]);
    expect(await result.locator('.stdout pre').textContent()).toBe(`${HOSTILE}\\x1b[31mred\n`);
    expect(await result.locator('img').count()).toBe(0);
    expect(await page.locator('img:not(.snapshot)').count()).toBe(0);
    expect(dialogs).toEqual([]);
  }, CASE_MS);

  it('a run the node must ask about shows "waiting for approval", then its output once approved', async () => {
    const node = card('desk');
    await node.locator('textarea.argv').fill('id\n-u');
    await node.locator('button.run').click();
    const result = node.locator('.run-result');
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toBe('approval');
    expect(await result.textContent()).toMatch(/Waiting for approval/);
    const approval = await eventually(async () => {
      const { approvals } = await runTetherJson<{ approvals: ExecApproval[] }>(['approvals', 'list', ...gw()]);
      return approvals.find((entry) => entry.argv.join(' ') === 'id -u');
    }, 30_000);
    expect(await result.locator('.waiting code').first().textContent()).toBe(approval.id.slice(0, 12));
    const answered = await runTether(['approvals', 'approve', approval.id, ...gw()]);
    expect(answered.code, answered.stderr).toBe(0);
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toBe('done');
    expect((await result.locator('.stdout pre').textContent())?.trim()).toBe(String(process.getuid?.()));
  }, CASE_MS);

  it("an approval that outlasts the page's 15 s request wait: the page asks for the same invoke again and still gets its output", async () => {
    const node = card('desk');
    await node.locator('textarea.argv').fill('id\n-g');
    await node.locator('button.run').click();
    const result = node.locator('.run-result');
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toBe('approval');
    const invokes = () =>
      sent
        .map((text) => JSON.parse(text) as { method?: string; params?: { command?: string; params?: { command?: string[] }; idempotencyKey?: string } })
        .filter((frame) => frame.method === 'node.invoke' && frame.params?.params?.command?.join(' ') === 'id -g');
    // The condition: the socket gave up its first request and the page re-sent it with the same key.
    await expect.poll(() => invokes().length, WAIT).toBeGreaterThanOrEqual(2);
    expect(new Set(invokes().map((frame) => frame.params?.idempotencyKey)).size).toBe(1);
    expect(await result.getAttribute('data-phase')).toBe('approval');
    const approval = await eventually(async () => {
      const { approvals } = await runTetherJson<{ approvals: ExecApproval[] }>(['approvals', 'list', ...gw()]);
      return approvals.find((entry) => entry.argv.join(' ') === 'id -g');
    }, 30_000);
    expect((await runTether(['approvals', 'approve', approval.id, ...gw()])).code).toBe(0);
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toBe('done');
    expect((await result.locator('.stdout pre').textContent())?.trim()).toBe(String(process.getgid?.()));
  }, CASE_MS);

  it('a denied run shows the error code and message, as text', async () => {
    const node = card('desk');
    await node.locator('textarea.argv').fill('whoami');
    await node.locator('button.run').click();
    const result = node.locator('.run-result');
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toBe('approval');
    const approval = await eventually(async () => {
      const { approvals } = await runTetherJson<{ approvals: ExecApproval[] }>(['approvals', 'list', ...gw()]);
      return approvals.find((entry) => entry.argv.join(' ') === 'whoami');
    }, 30_000);
    expect((await runTether(['approvals', 'deny', approval.id, ...gw()])).code).toBe(0);
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toBe('failed');
    expect(await result.locator('.error-code').textContent()).toBe('EXEC_DENIED');
    expect(await result.locator('.invoke-error').textContent()).toMatch(/denied/i);
  }, CASE_MS);

  it("a screen snapshot of the Xvfb display shows the painted colour in the page's pixels", async () => {
    const img = await shownImage(card('desk'), 'screen.snapshot');
    expect(await img.evaluate((element) => (element as unknown as Img).src)).toMatch(/^blob:/);
    expect(await img.evaluate((element) => [(element as unknown as Img).naturalWidth, (element as unknown as Img).naturalHeight])).toEqual([320, 240]);
    for (const rgb of await pixels(img)) expect(rgb).toEqual([...SCREEN_RGB]);
    expect(await card('desk').locator('.invoke-capture[data-command="screen.snapshot"] figure').getAttribute('data-type')).toBe('image/png');
  }, CASE_MS);

  it('a camera snapshot comes from the gateway media store by id (HTTP, not the socket) and shows the source colour', async () => {
    const img = await shownImage(card('cam'), 'camera.snap');
    const figure = card('cam').locator('.invoke-capture[data-command="camera.snap"] figure');
    expect(await figure.getAttribute('data-via')).toBe('gateway');
    expect(await figure.getAttribute('data-type')).toBe('image/jpeg');
    expect(await figure.locator('figcaption').textContent()).toContain('sha256 checked');
    for (const rgb of await pixels(img)) rgb.forEach((channel, i) => expect(Math.abs(channel - CAMERA_RGB[i]!)).toBeLessThanOrEqual(12));
  }, CASE_MS);

  it('a short camera clip plays in a <video>', async () => {
    const section = card('cam').locator('.invoke-capture[data-command="camera.clip"]');
    await section.locator('button.capture').click();
    const result = section.locator('.capture-result');
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toMatch(/^(shown|failed)$/);
    expect(await result.textContent()).not.toMatch(/error|failed/i);
    const video = result.locator('video.clip');
    await expect.poll(() => video.evaluate((element) => (element as unknown as Vid).readyState), WAIT).toBeGreaterThanOrEqual(1);
    expect(await video.evaluate((element) => (element as unknown as Vid).duration)).toBeGreaterThan(1);
    await video.evaluate((element) => (element as unknown as Vid).play());
    await expect.poll(() => video.evaluate((element) => (element as unknown as Vid).currentTime), WAIT).toBeGreaterThan(0);
    expect(await video.evaluate((element) => (element as unknown as Vid).error)).toBeNull();
  }, CASE_MS);

  it('the location: coordinates as text and the offline map with the accuracy circle, no links', async () => {
    const section = card('cam').locator('.invoke-location');
    await section.locator('button.locate').click();
    const result = section.locator('.location-result');
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toMatch(/^(shown|failed)$/);
    const coordinates = result.locator('.coordinates');
    expect(Number(await coordinates.getAttribute('data-lat'))).toBeCloseTo(LOCATION.lat, 5);
    expect(Number(await coordinates.getAttribute('data-lon'))).toBeCloseTo(LOCATION.lon, 5);
    expect(await coordinates.textContent()).toContain('48.20849° N, 16.37208° E');
    expect(await coordinates.textContent()).toContain('± 35 m');
    const circle = result.locator('svg.local circle.accuracy');
    expect(Number(await circle.getAttribute('r'))).toBeGreaterThan(5);
    expect(await result.locator('svg.local circle.marker').count()).toBe(1);
    expect(await page.locator('a').count()).toBe(0);
  }, CASE_MS);

  it("the location from a real gpsd (gpsfake replaying an NMEA log) on the desk node", async () => {
    const section = card('desk').locator('.invoke-location');
    await section.locator('button.locate').click();
    const result = section.locator('.location-result');
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toMatch(/^(shown|failed)$/);
    expect(await result.locator('.invoke-error').count(), (await result.textContent()) ?? '').toBe(0);
    expect(Number(await result.locator('.coordinates').getAttribute('data-lat'))).toBeCloseTo(48.20849, 4);
    expect(Number(await result.locator('.coordinates').getAttribute('data-lon'))).toBeCloseTo(16.37208, 4);
    expect(await result.textContent()).toContain('source gps');
    expect(await result.locator('svg.local circle.accuracy').count()).toBe(1);
  }, CASE_MS);

  it('a screenshot of the Nodes view with uname output and a snapshot; no console error or CSP violation', async () => {
    await run(card('desk'), ['uname', '-s']);
    await screenshot(page, 'control-ui-invoke.png', 'Nodes');
    expect(pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  }, CASE_MS);
});

/** The page's media and output handling on its own (no browser): what a hostile node could send. */
describe('the invoke panel refuses media it cannot prove, and shows output as text', () => {
  const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: unknown) => (error instanceof MediaError ? error.code : `not a MediaError: ${String(error)}`),
    );

  it.each([
    ['HTML claiming to be a camera photo', 'camera.snap', { base64: Buffer.from(`<html>${HOSTILE}</html>`).toString('base64') }, 'MEDIA_TYPE_MISMATCH'],
    ['a PNG answering camera.snap (JPEG only)', 'camera.snap', { base64: PNG.toString('base64') }, 'MEDIA_TYPE_MISMATCH'],
    ['a JPEG answering camera.clip', 'camera.clip', { base64: JPEG.toString('base64') }, 'MEDIA_TYPE_MISMATCH'],
    ['an SVG (scripts) as a screen snapshot', 'screen.snapshot', { base64: Buffer.from('<svg onload="alert(1)"/>').toString('base64') }, 'MEDIA_TYPE_MISMATCH'],
    ['a node-chosen URL only', 'camera.snap', { url: 'http://10.0.0.1/admin' }, 'MEDIA_URL_UNSUPPORTED'],
    ['a mediaId that is a path', 'camera.snap', { mediaId: '../ui/login' }, 'MEDIA_URL_UNSUPPORTED'],
    ['base64 that is not base64', 'camera.snap', { base64: '<<<not base64>>>' }, 'MEDIA_INVALID'],
    ['bytes that do not match their sha256', 'camera.snap', { base64: JPEG.toString('base64'), sha256: '0'.repeat(64) }, 'MEDIA_DAMAGED'],
  ] as const)('refuses %s', async (_name, command, result, code) => {
    expect(await codeOf(loadMedia(command, result, {}))).toBe(code);
  });

  it('accepts inline bytes whose first bytes prove the type, whatever the result calls them', async () => {
    const media = await loadMedia('screen.snapshot', { base64: PNG.toString('base64') }, {});
    expect([media.kind, media.via, media.bytes, media.blob.type]).toEqual(['image/png', 'inline', PNG.length, 'image/png']);
    expect(sniffMedia(new Uint8Array(Buffer.from('\0\0\0\x18ftypmp42')))).toBe('video/mp4');
  });

  it('argv is one argument per line: nothing is split, quoted or expanded', () => {
    expect(argvFromLines('ls\n-la\n$HOME\n`id`; rm -rf /\n')).toEqual(['ls', '-la', '$HOME', '`id`; rm -rf /']);
    expect(argvFromLines('printf\r\n%s\n\nlast\n\n')).toEqual(['printf', '%s', '', 'last']);
  });

  it('output keeps lines and tabs, escapes ESC and bidi overrides, and says when it was cut', () => {
    expect(outputText(`a\tb\n\u001b[2J\u202eevil\n`)).toEqual({ text: 'a\tb\n\\x1b[2J\\u{202e}evil\n', cut: false });
    expect(outputText('x'.repeat(30), 10)).toEqual({ text: 'x'.repeat(10), cut: true });
  });
});
