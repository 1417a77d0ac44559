/**
 * The Control UI in a real Chromium (Debian's, driven by playwright-core; nothing is downloaded),
 * against a real gateway process and real node processes: log in with the `tether dashboard` link, see
 * a node ask to pair without a reload, approve it, watch it go offline, render a hostile device name
 * as text, and check that a page on another origin cannot connect. Screenshots land in docs/images/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASE_MS, chromiumMissing as missing, dashboardLink as linkFor, IMAGES, launchChromium, openView, PHONE, screenshot as saveScreenshot, WAIT, watchedPage } from '../helpers/control-ui.js';
import { newTestKey, openRawPeer, signedConnect } from '../helpers/raw-client.js';
import { cleanup, runTether, spawnTether, startGatewayProcess, tempDir, type GatewayProcess, type Spawned } from '../helpers/processes.js';

const HOSTILE_NAME = '<img src=x onerror=alert(1)>\u001b[31m';

let gateway: GatewayProcess;
let browser: Browser;
let page: Page;
let dialogs: string[] = [];
/** Console errors and uncaught exceptions on the main page (a CSP violation shows up here too). */
let pageErrors: string[] = [];
const nodes: Spawned[] = [];

const dashboardLink = () => linkFor(gateway);
const screenshot = (name: string, heading: string) => saveScreenshot(page, name, heading);

function startNode(displayName: string): Spawned {
  const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', tempDir('tether-ui-node-'), '--display-name', displayName]);
  nodes.push(node);
  return node;
}

describe.skipIf(missing !== undefined)(`the Control UI in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    gateway = await startGatewayProcess();
    browser = await launchChromium();
    ({ page, dialogs, errors: pageErrors } = await watchedPage(browser));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cleanup();
  }, CASE_MS);

  it('logs in with the tether dashboard link, and the code leaves the address bar', async () => {
    const link = await dashboardLink();
    const response = await page.goto(link);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response?.headers()['x-content-type-options']).toBe('nosniff');
    await page.getByRole('status').filter({ hasText: 'connected' }).waitFor(WAIT);
    expect(page.url()).toBe(`http://127.0.0.1:${gateway.port}/`);
    // The same link a second time is spent: another browser profile with it stays logged out.
    const second = await (await browser.newContext({ viewport: PHONE })).newPage();
    await second.goto(link);
    await second.getByRole('alert').waitFor(WAIT);
    expect(await second.getByRole('alert').textContent()).toMatch(/used already/);
    expect(second.url()).not.toContain('code=');
    await second.close();
  }, CASE_MS);

  it('the page itself runs without a console error or a CSP violation', async () => {
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'connected' }).waitFor(WAIT);
    expect(pageErrors).toEqual([]);
  }, CASE_MS);

  it('the CSP holds in the browser: an inline script does not run', async () => {
    await expect(page.addScriptTag({ content: 'window.__inlineRan = true' })).rejects.toThrow();
    expect(await page.evaluate(() => (globalThis as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
  }, CASE_MS);

  it('a node asking to pair appears without a reload, its hostile name as text', async () => {
    const node = startNode(HOSTILE_NAME);
    const card = page.locator('li.pending');
    await card.waitFor(WAIT).catch((error: Error) => {
      throw new Error(`${error.message}\nthe node's output:\n${node.output()}\nthe gateway's output:\n${gateway.output().slice(-3000)}`);
    });
    const name = await card.locator('.name').textContent();
    expect(name).toBe('<img src=x onerror=alert(1)>\\x1b[31m');
    expect(await card.locator('.code').textContent()).toMatch(/\S/);
    expect(await card.textContent()).toContain('system.run');
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await screenshot('control-ui-devices.png', 'Devices');
  }, CASE_MS);

  it('approving it from the page pairs it, and the Nodes view shows it online then offline, live', async () => {
    await page.locator('li.pending button.approve').click();
    await page.locator('li.pending').waitFor({ state: 'detached', ...WAIT });
    await page.locator('li.paired', { hasText: '<img src=x' }).waitFor(WAIT);
    await openView(page, 'Nodes');
    const node = page.locator('li.node');
    await expect.poll(() => node.getAttribute('data-state'), WAIT).toBe('online');
    expect(await node.locator('.name').textContent()).toBe('<img src=x onerror=alert(1)>\\x1b[31m');
    await screenshot('control-ui-nodes.png', 'Nodes');
    const pending = (await runTether(['devices', 'list', '--json', '--state-dir', gateway.stateDir])).stdout;
    // The node, and the browser itself: the login paired it as an operator device.
    const paired = (JSON.parse(pending) as { paired: { displayName?: string; roles: string[] }[] }).paired;
    expect(paired.map((device) => [device.displayName, device.roles]).sort()).toEqual([
      ['<img src=x onerror=alert(1)>\u001b[31m', ['node']],
      ['Control UI', ['operator']],
    ]);
    nodes[0]!.child.kill('SIGTERM');
    await expect.poll(() => node.getAttribute('data-state'), WAIT).toBe('offline');
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
  }, CASE_MS);

  it('capture commands are marked, and "Approve without capture" leaves them out', async () => {
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(newTestKey(), peer.challenge, { commands: ['system.run', 'camera.snap', 'location.get'], displayName: 'cam-pi' }));
    await openView(page, 'Devices');
    const card = page.locator('li.pending', { hasText: 'cam-pi' });
    await card.waitFor(WAIT);
    expect(await card.locator('li.capture code').allTextContents()).toEqual(['camera.snap', 'location.get']);
    await card.locator('button.approve-without').click();
    await card.waitFor({ state: 'detached', ...WAIT });
    peer.ws.close();
    const list = JSON.parse((await runTether(['devices', 'list', '--json', '--state-dir', gateway.stateDir])).stdout) as { paired: { displayName?: string; commands: string[] }[] };
    expect(list.paired.find((device) => device.displayName === 'cam-pi')?.commands).toEqual(['system.run']);
  }, CASE_MS);

  it('an operator asking to pair shows the scopes it asks for, and Approve asks once more, naming them', async () => {
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(newTestKey(), peer.challenge, { role: 'operator', scopes: ['operator.admin'], displayName: 'Control UI' }));
    await openView(page, 'Devices');
    const card = page.locator('li.pending', { hasText: 'operator' });
    await card.waitFor(WAIT);
    expect(await card.locator('.strong-scope code').allTextContents()).toEqual(['operator.admin']);
    await card.locator('button.approve').click();
    expect(await card.locator('.confirm').textContent()).toMatch(/as an operator with operator\.admin\?/);
    expect(await card.count()).toBe(1);
    await card.locator('button.approve').click();
    await card.waitFor({ state: 'detached', ...WAIT });
    peer.ws.close();
  }, CASE_MS);

  it('a real node approved without capture: the Nodes view says which declared commands cannot be called', async () => {
    const dir = tempDir('tether-ui-cam-node-');
    writeFileSync(join(dir, 'node-config.json'), JSON.stringify({ version: 1, camera: { source: 'lavfi:color=c=red:s=160x120:r=5' }, location: { gpsd: { enabled: false }, geoclue: false } }));
    nodes.push(spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', dir, '--display-name', 'porch-cam']));
    await openView(page, 'Devices');
    const request = page.locator('li.pending', { hasText: 'porch-cam' });
    await request.waitFor(WAIT);
    await request.locator('button.approve-without').click();
    await request.waitFor({ state: 'detached', ...WAIT });
    await openView(page, 'Nodes');
    const card = page.locator('li.node', { hasText: 'porch-cam' });
    await expect.poll(() => card.getAttribute('data-state'), WAIT).toBe('online');
    const withheld = card.locator('.withheld code');
    await expect.poll(() => withheld.allTextContents(), WAIT).toEqual(expect.arrayContaining(['camera.snap', 'camera.clip']));
    expect(await card.locator('.invoke-capture[data-command="camera.snap"]').count()).toBe(0);
  }, CASE_MS);

  it('a page on another origin cannot open a WebSocket to the gateway', async () => {
    const other: Server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><title>other</title><script>
        const result = { frames: 0 };
        const ws = new WebSocket('ws://127.0.0.1:${gateway.port}/');
        ws.onmessage = () => result.frames++;
        ws.onclose = (event) => { result.code = event.code; result.reason = event.reason; window.result = result; };
      </script>`);
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const foreign = await page.context().newPage();
      await foreign.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
      const result = await foreign.waitForFunction(() => (globalThis as unknown as { result?: unknown }).result, undefined, WAIT);
      const closed = (await result.jsonValue()) as { code: number; reason: string; frames: number };
      expect(closed.code).toBe(1008);
      expect(closed.reason).toMatch(/origin not allowed/);
      expect(closed.frames).toBe(0);
      await foreign.close();
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
    expect(gateway.output()).toMatch(/refused a WebSocket from a browser page \(Origin http:\/\/127\.0\.0\.1:\d+\)/);
  }, CASE_MS);

  it.each([
    ['HTML in the fragment', '#code=<img src=x onerror=alert(1)>'],
    ['a well-formed but forged code', '#code=v1.zzzzzzzz.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a script URL', '#code=javascript:alert(1)'],
  ])('a hostile login fragment (%s) logs nothing in, runs nothing, and leaves the address bar', async (_name, fragment) => {
    const fresh = await browser.newPage({ viewport: PHONE });
    const seen: string[] = [];
    fresh.on('dialog', (dialog) => {
      seen.push(dialog.message());
      void dialog.dismiss();
    });
    await fresh.goto(`http://127.0.0.1:${gateway.port}/${fragment}`);
    await fresh.getByText('tether dashboard').first().waitFor(WAIT);
    expect(fresh.url()).toBe(`http://127.0.0.1:${gateway.port}/`);
    expect(await fresh.locator('img').count()).toBe(0);
    expect(await fresh.getByRole('status').count()).toBe(0);
    expect(seen).toEqual([]);
    await fresh.close();
  }, CASE_MS);

  it('without a login the page says how to get one', async () => {
    const fresh = await browser.newPage({ viewport: PHONE });
    await fresh.goto(`http://127.0.0.1:${gateway.port}/`);
    await fresh.getByText('tether dashboard').waitFor(WAIT);
    expect(await fresh.locator('h1').textContent()).toBe('Tether Control UI');
    await fresh.close();
    expect(readFileSync(join(IMAGES, 'control-ui-devices.png')).length).toBeGreaterThan(1000);
  }, CASE_MS);
});
