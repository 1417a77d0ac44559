/**
 * The Health view against a real gateway process, real node processes and Chromium: uptime and the
 * connected node count, updated live when a node comes and goes (presence); the invoke rate after a
 * real invoke; a recent error (a node with a hostile name using a revoked setup code) shown as
 * escaped text that runs nothing. `status` itself is checked for the same fields over the CLI.
 *
 * The invoke-rate and recent-error cases need the server to attach its GatewayMetrics (server.ts:
 * wrap the logger and the node registry, attachMetrics(context, metrics)); without that wiring
 * `status` leaves both fields out and these two cases fail.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASE_MS, chromiumMissing as missing, launchChromium, logIn, openView, WAIT, watchedPage } from '../helpers/control-ui.js';
import { cleanup, runTether, spawnTether, startGatewayProcess, stop, tempDir, type GatewayProcess, type Spawned } from '../helpers/processes.js';

const HOSTILE_NAME = '<img src=x onerror=alert(1)>\u001b[31m';

let gateway: GatewayProcess;

async function tether(args: string[]): Promise<string> {
  const result = await runTether([...args, '--state-dir', gateway.stateDir]);
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

describe.skipIf(missing !== undefined)(`the Health view in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: Browser;
  let page: Page;
  let dialogs: string[] = [];
  let pageErrors: string[] = [];
  let node: Spawned;
  const nodeDir = tempDir('tether-health-node-');
  const field = (name: string) => page.locator(`[data-field="${name}"]`);

  beforeAll(async () => {
    gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
    browser = await launchChromium();
    ({ page, dialogs, errors: pageErrors } = await watchedPage(browser));
    await logIn(page, gateway);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cleanup();
  }, CASE_MS);

  it('shows uptime, and the connected node count changes when a node connects and leaves', async () => {
    await openView(page, 'Health');
    await expect.poll(() => field('uptime').textContent(), WAIT).toMatch(/^\d+ (s|min)/);
    await expect.poll(() => field('nodes-connected').textContent(), WAIT).toBe('0');
    node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'health-pi']);
    // Waiting for approval: the count of pending pairings follows (device.pair.requested does not refresh Health; presence and the poll do).
    await expect.poll(async () => (JSON.parse(await tether(['devices', 'list', '--json'])) as { pending: unknown[] }).pending.length, WAIT).toBe(1);
    const { pending } = JSON.parse(await tether(['devices', 'list', '--json'])) as { pending: { requestId: string }[] };
    await tether(['devices', 'approve', pending[0]!.requestId]);
    await expect.poll(() => field('nodes-connected').textContent(), WAIT).toBe('1');
    expect(await field('nodes-paired').textContent()).toBe('1');
    expect(await field('node-connections').textContent()).toBe('1');
    await stop(node.child);
    await expect.poll(() => field('nodes-connected').textContent(), WAIT).toBe('0');
    node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir]);
    await expect.poll(() => field('nodes-connected').textContent(), WAIT).toBe('1');
  }, CASE_MS);

  it('shows the invoke rate after a real invoke', async () => {
    const status = JSON.parse(await tether(['gateway', 'status', '--json'])) as { invokes?: { total: number } };
    const before = status.invokes?.total ?? 0;
    await tether(['nodes', 'invoke', '--node', 'health-pi', '--command', 'system.which', '--params', '{"bins":["sh"]}']);
    const after = JSON.parse(await tether(['gateway', 'status', '--json'])) as { invokes?: { total: number; lastMinute: number } };
    expect(after.invokes?.total).toBe(before + 1);
    // The page reads it on its next refresh (every 10 s while shown).
    await expect.poll(() => field('invoke-rate').textContent(), WAIT).toMatch(new RegExp(`^${after.invokes!.lastMinute} in the last minute \\(${before + 1} since start, 0 failed\\)`));
  }, CASE_MS);

  it('shows a recent error caused by another party as escaped text, without running it', async () => {
    const code = JSON.parse(await tether(['devices', 'setup-code', '--commands', 'system.notify', '--json'])) as { id: string; uri: string };
    await tether(['devices', 'setup-code', 'revoke', code.id]);
    const intruder = spawnTether(['node', 'run', '--pair', code.uri, '--state-dir', tempDir('tether-health-intruder-'), '--display-name', HOSTILE_NAME]);
    await expect.poll(() => gateway.output(), WAIT).toMatch(/setup code refused \(revoked\)/);
    await stop(intruder.child);
    const entry = page.locator('li.recent-error', { hasText: 'setup code refused' }).first();
    await entry.waitFor(WAIT);
    expect(await entry.locator('.error-message').textContent()).toContain('setup code refused (revoked) for <img src=x onerror=alert(1)>\\x1b[31m from');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('body').innerText()).not.toContain(code.uri.slice('oc-pair://'.length));
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, CASE_MS);
});
