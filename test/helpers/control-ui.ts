/**
 * What the Control UI's browser tests share: Debian's Chromium driven by playwright-core (nothing is
 * downloaded), a logged-in page on a phone-sized viewport, and screenshots that are checked for being
 * the right view and not blank before they are saved into docs/images/.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { expect } from 'vitest';
import { buildUiLoginPayload } from '@tether/protocol';
import { ROOT, runTether, type GatewayProcess } from './processes.js';
import { newTestKey, openRawPeer, signedConnect, type RawPeer, type TestKey } from './raw-client.js';

export const CHROMIUM = process.env.TETHER_CHROMIUM ?? '/usr/bin/chromium';
/** Why the browser tests cannot run here, or undefined; CI sets TETHER_UI_REQUIRED=1 so they never skip there. */
export const chromiumMissing = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set TETHER_CHROMIUM)`;
if (chromiumMissing && process.env.TETHER_UI_REQUIRED === '1') throw new Error(`TETHER_UI_REQUIRED=1 but ${chromiumMissing}: the Control UI tests cannot run`);
if (chromiumMissing) console.warn(`skipping the Control UI browser tests: ${chromiumMissing}`);

export const IMAGES = join(ROOT, 'docs/images');
/** Waits are for conditions, never for time: this only bounds how long a broken build hangs. */
export const WAIT = { timeout: 60_000 };
/** Each case's own bound, above WAIT: the suite runs beside fuzzers on two cores. */
export const CASE_MS = 120_000;
/** A phone-sized viewport: the page must be usable there. */
export const PHONE = { width: 390, height: 844 };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

/** A one-time login link from `tether dashboard`, as a user would get it. */
export async function dashboardLink(gateway: GatewayProcess, extra: string[] = []): Promise<string> {
  const result = await runTether(['dashboard', '--no-open', '--json', '--state-dir', gateway.stateDir, ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { url: string }).url;
}

export interface WatchedPage {
  page: Page;
  /** alert()/confirm() texts the page raised that the test did not expect. */
  dialogs: string[];
  /** Console errors and uncaught exceptions (a CSP violation shows up here too). */
  errors: string[];
}

/** A fresh phone-sized page whose dialogs are dismissed and recorded, and whose errors are collected. */
export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, colorScheme: 'light' });
  const page = await context.newPage();
  const watched: WatchedPage = { page, dialogs: [], errors: [] };
  page.on('dialog', (dialog) => {
    watched.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') watched.errors.push(message.text());
  });
  page.on('pageerror', (error) => watched.errors.push(error.message));
  return watched;
}

/** Opens a fresh login link in `page` and waits until the page is connected to the gateway. */
export async function logIn(page: Page, gateway: GatewayProcess, extra: string[] = []): Promise<void> {
  await page.goto(await dashboardLink(gateway, extra));
  await page.getByRole('status').filter({ hasText: 'connected' }).waitFor(WAIT);
}

/** Shows one of the dashboard's tabs (Devices, Nodes, Approvals, Agent, Health). */
export async function openView(page: Page, title: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: new RegExp(`^${title}`) }).click();
  await expect.poll(() => visibleHeading(page), WAIT).toBe(title);
}

function visibleHeading(page: Page): Promise<string | null> {
  return page.locator('main .view:not([hidden]) h2').first().textContent();
}

/**
 * Saves a full-page screenshot as docs/images/<name> after checking it is the view expected (its
 * heading) and not blank (some channel varies across the image; a one-colour PNG has min = max).
 */
export async function screenshot(page: Page, name: string, heading: string): Promise<void> {
  await expect.poll(() => visibleHeading(page), WAIT).toBe(heading);
  mkdirSync(IMAGES, { recursive: true });
  const png = await page.screenshot({ fullPage: true });
  const stats = await sharp(png).stats();
  expect(stats.channels.some((channel) => channel.max - channel.min > 64)).toBe(true);
  expect(stats.isOpaque).toBe(true);
  writeFileSync(join(IMAGES, name), png);
}

/** A browser identity as the page holds one after logging in: its key, device id, device token and scopes. */
export interface BrowserLogin {
  key: TestKey;
  deviceId: string;
  deviceToken: string;
  scopes: string[];
}

/** Logs a fresh browser key in with a `tether dashboard` link (`--scopes` when given), as the page does. */
export async function loginAsBrowser(gateway: GatewayProcess, scopes?: string, key: TestKey = newTestKey()): Promise<BrowserLogin> {
  const code = new URL(await dashboardLink(gateway, scopes ? ['--scopes', scopes] : [])).hash.replace(/^#code=/, '');
  const response = await fetch(`http://127.0.0.1:${gateway.port}/ui/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, publicKey: key.publicKey, signature: key.sign(buildUiLoginPayload(key.publicKey, code)) }),
  });
  expect(response.status).toBe(200);
  return { key, ...((await response.json()) as Omit<BrowserLogin, 'key'>) };
}

/** Connects as the page does (the key signs the challenge, with the device token); resolves with the peer and the connect answer. */
export async function connectAsBrowser(gateway: GatewayProcess, login: BrowserLogin, scopes = login.scopes): Promise<{ peer: RawPeer; hello: Record<string, any> }> {
  const peer = await openRawPeer(gateway.url, { headers: { Origin: `http://127.0.0.1:${gateway.port}` } });
  peer.send(signedConnect(login.key, peer.challenge, { role: 'operator', scopes, deviceToken: login.deviceToken, deviceId: login.deviceId, displayName: 'Control UI' }));
  return { peer, hello: await peer.nextFrame() };
}
