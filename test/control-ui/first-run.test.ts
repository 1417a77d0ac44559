/**
 * Issue 11's "done when", end to end without the CLI after `tether up`: a new user runs `tether up`,
 * opens the login link it printed in Chromium, sees this machine as a node, a second machine asks to
 * pair and is approved in the page, a command is run on it (its exec policy asks, and the approval is
 * answered in the page's Approvals view), and a photo is taken with its camera (ffmpeg's colour source
 * stands in for the camera module) and shown in the page.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeExecPolicy } from '../../node-agent/src/exec-policy/policy-file.js';
import { CASE_MS, chromiumMissing, launchChromium, openView, screenshot, WAIT, watchedPage } from '../helpers/control-ui.js';
import { cleanup, spawnTether, tempDir, type Spawned } from '../helpers/processes.js';

let browser: Browser;
let page: Page;
let dialogs: string[] = [];
let errors: string[] = [];
let up: Spawned;
let second: Spawned;

const nodeCard = (name: string): Locator => page.locator('li.node', { has: page.locator('.name', { hasText: new RegExp(`^${name}$`) }) });

describe.skipIf(chromiumMissing !== undefined)(`the first run in Chromium${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`, () => {
  beforeAll(async () => {
    browser = await launchChromium();
    ({ page, dialogs, errors } = await watchedPage(browser));
    await page.setViewportSize({ width: 760, height: 1000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cleanup();
  }, CASE_MS);

  it('tether up prints a link that logs the browser in, and this machine is a node there', async () => {
    up = spawnTether(['up', '--port', '0', '--state-dir', tempDir('tether-first-run-'), '--display-name', 'home-server']);
    await up.waitFor(/Press Ctrl\+C to stop/, 30_000);
    const link = /Control UI: (http:\/\/127\.0\.0\.1:\d+\/#code=\S+)/.exec(up.output());
    expect(link, up.output()).not.toBeNull();
    await page.goto(link![1]!);
    await page.getByRole('status').filter({ hasText: 'connected' }).waitFor(WAIT);
    await openView(page, 'Nodes');
    await expect.poll(() => nodeCard('home-server').getAttribute('data-state'), WAIT).toBe('online');
  }, CASE_MS);

  it('a second machine asks to pair and is approved in the page', async () => {
    const gatewayUrl = /gateway (ws:\/\/127\.0\.0\.1:\d+)/.exec(up.output())![1]!;
    const dir = tempDir('tether-first-run-pi-');
    // The second machine's own choices: its camera, and asking an operator before it runs a program.
    writeFileSync(join(dir, 'node-config.json'), JSON.stringify({ version: 1, camera: { source: 'lavfi:color=c=0x2060d0:s=320x240:r=10' }, location: { gpsd: { enabled: false }, geoclue: false } }));
    await writeExecPolicy(dir, { version: 1, security: 'allowlist', ask: 'on-miss', allowlist: [] });
    second = spawnTether(['node', 'run', '--url', gatewayUrl, '--state-dir', dir, '--display-name', 'second-pi']);
    await openView(page, 'Devices');
    const request = page.locator('li.pending', { hasText: 'second-pi' });
    await request.waitFor(WAIT).catch((error: Error) => {
      throw new Error(`${error.message}\n${second.output()}`);
    });
    expect(await request.locator('.code').textContent()).toMatch(/\S/);
    await request.locator('button.approve').click();
    await request.waitFor({ state: 'detached', ...WAIT });
    await openView(page, 'Nodes');
    await expect.poll(() => nodeCard('second-pi').getAttribute('data-state'), WAIT).toBe('online');
  }, CASE_MS);

  it('a command runs on it once its exec approval is answered in the page', async () => {
    const card = nodeCard('second-pi');
    await card.locator('textarea.argv').fill('uname\n-s');
    await card.locator('button.run').click();
    const result = card.locator('.run-result');
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toBe('approval');
    await openView(page, 'Approvals');
    const approval = page.locator('li.approval', { hasText: 'second-pi' });
    await approval.waitFor(WAIT);
    await approval.locator('button.approve').click();
    await openView(page, 'Nodes');
    await expect.poll(() => result.getAttribute('data-phase'), WAIT).toBe('done');
    expect((await result.locator('.stdout pre').textContent())?.trim()).toBe(execFileSync('uname', ['-s'], { encoding: 'utf8' }).trim());
  }, CASE_MS);

  it('a photo from its camera is shown in the page', async () => {
    const section = nodeCard('second-pi').locator('.invoke-capture[data-command="camera.snap"]');
    await section.locator('button.capture').click();
    const shown = section.locator('.capture-result');
    await expect.poll(() => shown.getAttribute('data-phase'), WAIT).toBe('shown');
    const img = shown.locator('img.snapshot');
    await expect.poll(() => img.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth), WAIT).toBe(320);
    await screenshot(page, 'control-ui-first-run.png', 'Nodes');
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
  }, CASE_MS);
});
